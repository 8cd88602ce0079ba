#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A headless Chromium for the host tests, driven over its DevTools
protocol on --remote-debugging-pipe: JSON messages, each ended by a NUL
byte, written to the browser's fd 3 and read from its fd 4 (no websocket,
no port).  Python's standard library only.

usage: browser_driver.py [--width W] [--height H] [--log FILE] -- CHROMIUM [ARG...]

Commands on standard input, one a line; one answer line each on standard
output, "ok JSON" (the value) or "error MESSAGE":

    open URL              load URL in the page, wait for its load event:
                          the HTTP status of the document
    auth USER PASSWORD    send "Authorization: Basic ..." with every request
    eval EXPRESSION       its value (a promise is awaited)
    wait MS EXPRESSION    true once EXPRESSION is truthy, checked on every
                          change of the document (a MutationObserver, no
                          polling), false when MS ran out first
    screenshot FILE       the page as PNG, W x H
    quit                  close the browser

Each wait is bounded: a command the browser does not answer within its
time (30 s, or MS + 10 s) is an error, and so is the browser's exit.
"""
import argparse
import base64
import json
import os
import select
import signal
import subprocess
import sys
import time


class BrowserError(Exception):
    pass


class Browser:
    def __init__(self, argv, log):
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()

        def pipes():
            # The protocol's descriptors, as Chromium expects them.
            os.dup2(cmd_r, 3)
            os.dup2(res_w, 4)

        self.proc = subprocess.Popen(argv, preexec_fn=pipes, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=log)
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.last_id = 0
        self.events = []
        self.session = None
        self.status = None      # the last document's HTTP status

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no answer in time")
            ready, _, _ = select.select([self.res_r], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.res_r, 1 << 20)
            if not chunk:
                raise BrowserError("the browser closed its pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        msg = json.loads(msg)
        if (msg.get("method") == "Network.responseReceived" and
                msg["params"].get("type") == "Document"):
            self.status = msg["params"]["response"]["status"]
        return msg

    def send(self, method, params=None, timeout=30, session=True):
        self.last_id += 1
        msg = {"id": self.last_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.cmd_w, data):]
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self.last_id:
                if "error" in answer:
                    raise BrowserError(answer["error"].get("message", "?"))
                return answer.get("result", {})
            self.events.append(answer)

    def wait_event(self, method, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    del self.events[:i + 1]
                    return event
            self.events.clear()
            self.events.append(self._read(deadline))

    def start(self, width, height):
        target = self.send("Target.createTarget", {"url": "about:blank"},
                           session=False)["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Network.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1,
                   "mobile": False})

    def evaluate(self, expression, timeout=30):
        result = self.send("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True,
                            "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(details.get("exception", {})
                               .get("description", details.get("text", "?")))
        return result["result"].get("value")


WAIT = """new Promise((resolve) => {
  const test = () => { try { return !!(%s); } catch (e) { return false; } };
  if (test()) { resolve(true); return; }
  const watch = new MutationObserver(() => {
    if (!test()) return;
    watch.disconnect(); clearTimeout(timer); resolve(true);
  });
  watch.observe(document, { subtree: true, childList: true,
                            attributes: true, characterData: true });
  const timer = setTimeout(() => { watch.disconnect(); resolve(test()); }, %d);
})"""


def command(browser, line, width, height):
    word, _, rest = line.partition(" ")
    if word == "open":
        browser.events.clear()
        browser.status = None
        result = browser.send("Page.navigate", {"url": rest})
        if result.get("errorText"):
            # A 401 the browser has no credentials for ends here.
            raise BrowserError("%s (HTTP status %s)" % (
                result["errorText"], browser.status))
        browser.wait_event("Page.loadEventFired")
        return browser.status
    if word == "auth":
        user, _, password = rest.partition(" ")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        browser.send("Network.setExtraHTTPHeaders",
                     {"headers": {"Authorization": "Basic " + token}})
        return True
    if word == "eval":
        return browser.evaluate(rest)
    if word == "wait":
        ms, _, expression = rest.partition(" ")
        return browser.evaluate(WAIT % (expression, int(ms)),
                                timeout=int(ms) / 1000 + 10)
    if word == "screenshot":
        shot = browser.send("Page.captureScreenshot",
                            {"format": "png", "clip": {
                                "x": 0, "y": 0, "width": width,
                                "height": height, "scale": 1}})
        with open(rest, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return True
    raise BrowserError("unknown command: " + word)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--log", default=os.devnull)
    parser.add_argument("argv", nargs="+")
    args = parser.parse_args()
    # Stopped (the test interrupted): close the browser on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(1))
    with open(args.log, "ab") as log:
        browser = Browser(args.argv, log)
        try:
            browser.start(args.width, args.height)
            print("ok true", flush=True)
            for line in sys.stdin:
                line = line.rstrip("\n")
                if line == "quit":
                    break
                try:
                    value = command(browser, line, args.width, args.height)
                    print("ok " + json.dumps(value, ensure_ascii=False),
                          flush=True)
                except BrowserError as e:
                    print("error " + str(e).replace("\n", " "), flush=True)
        except BrowserError as e:
            print("error " + str(e).replace("\n", " "), flush=True)
        finally:
            try:
                browser.send("Browser.close", session=False, timeout=10)
            except (BrowserError, OSError, ValueError):
                pass
            try:
                browser.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                browser.proc.kill()
                browser.proc.wait()


if __name__ == "__main__":
    main()

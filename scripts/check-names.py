#!/usr/bin/env python3
"""The firmware names must be one set: every property the driver reads is
in the device-tree bindings, the test gate's ASL uses the same names, and
nothing is in one but not the others.  The device-tree examples are held
to the bindings by dt-validate (additionalProperties: false).

usage: scripts/check-names.py DRIVER_DIR BINDINGS_DIR TEST_ASL
"""
import glob
import os
import re
import sys

LITERAL = r'"([^"]+)"'


def driver_names(folder):
    names = set()
    for path in glob.glob(os.path.join(folder, '*.c')):
        src = open(path).read()
        for m in re.finditer(r'(?:device_property_\w+|fwnode_find_reference)'
                             r'\(\s*[^,]+,\s*' + LITERAL, src):
            names.add(m.group(1))
        # GPIO consumer names: a literal, or a table of literals.
        for m in re.finditer(r'devm_gpiod_get(?:_optional)?\(\s*[^,]+,\s*'
                             r'(?:' + LITERAL + r'|(\w+)\s*\[)', src):
            if m.group(1):
                names.add(m.group(1) + '-gpios')
                continue
            table = re.search(r'\b' + m.group(2) + r'\[\w*\]\s*=\s*\{(.*?)\};',
                              src, re.S)
            if not table:
                sys.exit('%s: cannot find the table %s' % (path, m.group(2)))
            names.update(n + '-gpios' for n in re.findall(LITERAL, table.group(1)))
    return names


def binding_names(folder):
    names = set()
    for path in glob.glob(os.path.join(folder, '*.yaml')):
        body = open(path).read().split('\nproperties:\n', 1)[1]
        body = re.split(r'\n\S', body, 1)[0]
        names.update(re.findall(r'^  ([a-z0-9,-]+):$', body, re.M))
    return names - {'compatible'}


def asl_names(path):
    """Property names of the devices the driver binds (not the test board)."""
    names = set()
    for device in open(path).read().split('Device (')[1:]:
        if not re.search(r'"compatible", "passgate,(gate|turnstile|scanboard|id-sam|qr-engine)"',
                         device):
            continue
        names.update(re.findall(r'^\s*Package \(\) \{ ' + LITERAL + ',',
                                device, re.M))
    return names - {'compatible'}


def main():
    sets = {
        'the driver': driver_names(sys.argv[1]),
        'the bindings': binding_names(sys.argv[2]),
        'the test ASL': asl_names(sys.argv[3]),
    }
    bad = False
    for a, na in sets.items():
        for b, nb in sets.items():
            for name in sorted(na - nb):
                print('%s: in %s, not in %s' % (name, a, b))
                bad = True
    if bad:
        return 1
    print('# firmware names agree: %d properties in driver, bindings and ASL'
          % len(sets['the driver']))
    return 0


if __name__ == '__main__':
    sys.exit(main())

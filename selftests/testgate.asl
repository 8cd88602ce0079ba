/*
 * The test gate, described to the x86 guest exactly as an x86 gate PC's
 * firmware describes a real one: PRP0001 devices whose _DSD carries the
 * device-tree compatible and properties of dts/ (same names, same values).
 *
 * GPO0 is the test board (selftests/testboard): its lines, by offset,
 *
 *   lane 0:  0 unlock-exit   1 unlock-entry  2 beam-inner  3 beam-outer
 *            4 alarm         5 indicator-green            6 indicator-red
 *   lane 1:  8 unlock-exit   9 unlock-entry 10 beam-inner 11 beam-outer
 *           12 alarm        13 indicator-green           14 indicator-red
 *   gate:   16 fire-alarm   17 fire-fault
 *
 * and a second gate, GAT1 (passgate,id 1), on the same board:
 *
 *   gate 1:         18 fire-alarm             (19 to 23 unused)
 *   gate 1 lane 0: 24 unlock-exit  25 unlock-entry 26 beam-inner
 *                  27 beam-outer   28 alarm   29 indicator-green
 *                  30 indicator-red
 *
 * Gate 0's fire inputs are wired active-high, gate 1's fire alarm normally
 * closed (active-low, the board drives line 18 high from power-on): a cut
 * wire is an alarm.  Gate 0's lanes let people out and are fail-safe;
 * gate 1's lane is fail-secure and declares passgate,fire-interlock, so
 * that the tests have a fail-secure lane to open in a fire while the
 * driver holds it.  The test board has no such interlock: no test raises
 * gate 1's alarm with the driver gone and expects the hardware to open.
 *
 * Gate 0's lane 0 scanner board hangs off COM2, which QEMU wires to COM3
 * like a null-modem cable, so a test plays the board on /dev/ttyS2.  Gate
 * 0's lane 1 has off-the-shelf readers instead: an ID-card SAM module on
 * the 16550 at PCI 00:10.0 and a QR engine on the one at 00:11.0, each
 * wired the same way to a 16550 the tests play the module on (00:12.0
 * and 00:13.0, linked as /dev/passgate-far-sam and /dev/passgate-far-qr;
 * qemu/run-qemu.sh).  Gate 1's lane has no reader: its scans come
 * through the scanboard node's write() bridge.
 */
DefinitionBlock ("", "SSDT", 2, "PASSG", "TESTGATE", 1)
{
    External (\_SB.PCI0.S08.COM2, DeviceObj)
    External (\_SB.PCI0.S80, DeviceObj)
    External (\_SB.PCI0.S88, DeviceObj)

    Scope (\_SB)
    {
        Device (GPO0)
        {
            Name (_HID, "PRP0001")
            Name (_UID, 0x50470000)
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,testboard-gpio" },
                    Package () { "ngpios", 32 },
                    /* gate 1's fire alarm: a normally closed contact */
                    Package () { "driven-high-lines", Package () { 18 } },
                }
            })
        }

        Device (GAT0)
        {
            Name (_HID, "PRP0001")
            Name (_UID, 0x50470001)
            Name (_CRS, ResourceTemplate () {
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 16 }
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 17 }
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,gate" },
                    Package () { "passgate,id", 0 },
                    Package () { "fire-alarm-gpios", Package () { ^GAT0, 0, 0, 0 } },
                    Package () { "fire-fault-gpios", Package () { ^GAT0, 1, 0, 0 } },
                    Package () { "passgate,event-ring-size", 256 },
                    Package () { "passgate,fire-poll-ms", 200 },
                }
            })
        }

        Device (LAN0)
        {
            Name (_HID, "PRP0001")
            Name (_UID, 0x50470010)
            Name (_CRS, ResourceTemplate () {
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 0 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 1 }
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 2 }
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 3 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 4 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 5 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 6 }
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,turnstile" },
                    Package () { "passgate,gate", \_SB.GAT0 },
                    Package () { "passgate,lane", 0 },
                    Package () { "unlock-exit-gpios", Package () { ^LAN0, 0, 0, 0 } },
                    Package () { "unlock-entry-gpios", Package () { ^LAN0, 1, 0, 0 } },
                    Package () { "beam-inner-gpios", Package () { ^LAN0, 2, 0, 0 } },
                    Package () { "beam-outer-gpios", Package () { ^LAN0, 3, 0, 0 } },
                    Package () { "alarm-gpios", Package () { ^LAN0, 4, 0, 0 } },
                    Package () { "indicator-green-gpios", Package () { ^LAN0, 5, 0, 0 } },
                    Package () { "indicator-red-gpios", Package () { ^LAN0, 6, 0, 0 } },
                    Package () { "passage-timeout-ms", 2000 },
                    Package () { "alarm-ms", 200 },
                    Package () { "debounce-ms", 0 },
                    Package () { "decision-timeout-ms", 500 },
                    Package () { "passgate,directions", Package () { "exit", "entry" } },
                    Package () { "passgate,fail-mode", "fail-safe" },
                }
            })
        }

        Device (LAN1)
        {
            Name (_HID, "PRP0001")
            Name (_UID, 0x50470011)
            Name (_CRS, ResourceTemplate () {
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 8 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 9 }
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 10 }
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 11 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 12 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 13 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 14 }
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,turnstile" },
                    Package () { "passgate,gate", \_SB.GAT0 },
                    Package () { "passgate,lane", 1 },
                    Package () { "unlock-exit-gpios", Package () { ^LAN1, 0, 0, 0 } },
                    Package () { "unlock-entry-gpios", Package () { ^LAN1, 1, 0, 0 } },
                    Package () { "beam-inner-gpios", Package () { ^LAN1, 2, 0, 0 } },
                    Package () { "beam-outer-gpios", Package () { ^LAN1, 3, 0, 0 } },
                    Package () { "alarm-gpios", Package () { ^LAN1, 4, 0, 0 } },
                    Package () { "indicator-green-gpios", Package () { ^LAN1, 5, 0, 0 } },
                    Package () { "indicator-red-gpios", Package () { ^LAN1, 6, 0, 0 } },
                    Package () { "passage-timeout-ms", 1000 },
                    Package () { "alarm-ms", 200 },
                    Package () { "debounce-ms", 10 },
                    Package () { "beam-blocked-ms", 500 },
                    Package () { "passgate,directions", Package () { "exit" } },
                    Package () { "passgate,fail-mode", "fail-safe" },
                }
            })
        }
    }

    Scope (\_SB)
    {
        Device (GAT1)
        {
            Name (_HID, "PRP0001")
            Name (_UID, 0x50470002)
            Name (_CRS, ResourceTemplate () {
                /* Normally closed: ACPI takes active-low from GpioInt. */
                GpioInt (Edge, ActiveLow, Exclusive, PullNone, 0, "\\_SB.GPO0") { 18 }
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,gate" },
                    Package () { "passgate,id", 1 },
                    Package () { "fire-alarm-gpios", Package () { ^GAT1, 0, 0, 1 } },
                    Package () { "passgate,event-ring-size", 256 },
                }
            })
        }

        Device (G1L0)
        {
            Name (_HID, "PRP0001")
            Name (_UID, 0x50470020)
            Name (_CRS, ResourceTemplate () {
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 24 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 25 }
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 26 }
                GpioInt (Edge, ActiveBoth, Exclusive, PullNone, 0, "\\_SB.GPO0") { 27 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 28 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 29 }
                GpioIo (Exclusive, PullNone, 0, 0, IoRestrictionOutputOnly, "\\_SB.GPO0") { 30 }
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,turnstile" },
                    Package () { "passgate,gate", \_SB.GAT1 },
                    Package () { "passgate,lane", 0 },
                    Package () { "unlock-exit-gpios", Package () { ^G1L0, 0, 0, 0 } },
                    Package () { "unlock-entry-gpios", Package () { ^G1L0, 1, 0, 0 } },
                    Package () { "beam-inner-gpios", Package () { ^G1L0, 2, 0, 0 } },
                    Package () { "beam-outer-gpios", Package () { ^G1L0, 3, 0, 0 } },
                    Package () { "alarm-gpios", Package () { ^G1L0, 4, 0, 0 } },
                    Package () { "indicator-green-gpios", Package () { ^G1L0, 5, 0, 0 } },
                    Package () { "indicator-red-gpios", Package () { ^G1L0, 6, 0, 0 } },
                    Package () { "passage-timeout-ms", 2000 },
                    Package () { "alarm-ms", 200 },
                    Package () { "debounce-ms", 0 },
                    Package () { "decision-timeout-ms", 500 },
                    Package () { "passgate,directions", Package () { "exit", "entry" } },
                    Package () { "passgate,fail-mode", "fail-secure" },
                    Package () { "passgate,fire-interlock", 1 },
                }
            })
        }
    }

    Scope (\_SB.PCI0.S08.COM2)
    {
        Device (SCN0)
        {
            Name (_HID, "PRP0001")
            Name (_CRS, ResourceTemplate () {
                UartSerialBusV2 (115200, DataBitsEight, StopBitsOne, 0x00,
                    LittleEndian, ParityTypeNone, FlowControlNone,
                    0x0040, 0x0040, "\\_SB.PCI0.S08.COM2",
                    0x00, ResourceConsumer, , Exclusive, )
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,scanboard" },
                    Package () { "passgate,turnstile", \_SB.LAN0 },
                    Package () { "current-speed", 115200 },
                    Package () { "heartbeat-timeout-ms", 1000 },
                }
            })
        }
    }

    /* Gate 0 lane 1's readers, on the PCI 16550s in slots 0x10 and 0x11. */
    Scope (\_SB.PCI0.S80)
    {
        Device (SAM1)
        {
            Name (_HID, "PRP0001")
            Name (_CRS, ResourceTemplate () {
                UartSerialBusV2 (115200, DataBitsEight, StopBitsOne, 0x00,
                    LittleEndian, ParityTypeNone, FlowControlNone,
                    0x0040, 0x0040, "\\_SB.PCI0.S80",
                    0x00, ResourceConsumer, , Exclusive, )
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,id-sam" },
                    Package () { "passgate,turnstile", \_SB.LAN1 },
                    Package () { "current-speed", 115200 },
                    Package () { "poll-interval-ms", 100 },
                    Package () { "response-timeout-ms", 1500 },
                    Package () { "heartbeat-timeout-ms", 1000 },
                }
            })
        }
    }

    Scope (\_SB.PCI0.S88)
    {
        Device (QRE1)
        {
            Name (_HID, "PRP0001")
            Name (_CRS, ResourceTemplate () {
                UartSerialBusV2 (115200, DataBitsEight, StopBitsOne, 0x00,
                    LittleEndian, ParityTypeNone, FlowControlNone,
                    0x0040, 0x0040, "\\_SB.PCI0.S88",
                    0x00, ResourceConsumer, , Exclusive, )
            })
            Name (_DSD, Package () {
                ToUUID ("daffd814-6eba-4d8c-8a91-bc9bbf4aa301"),
                Package () {
                    Package () { "compatible", "passgate,qr-engine" },
                    Package () { "passgate,turnstile", \_SB.LAN1 },
                    Package () { "current-speed", 115200 },
                    /* An engine set to CR LF, prefix "PG", AIM identifiers */
                    Package () { "passgate,suffix", "crlf" },
                    Package () { "passgate,prefix", "PG" },
                    Package () { "passgate,aim-id", 1 },
                    Package () { "max-length", 512 },
                    Package () { "inter-byte-timeout-ms", 100 },
                }
            })
        }
    }
}

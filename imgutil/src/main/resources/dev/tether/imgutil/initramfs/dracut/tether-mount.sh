#!/bin/sh
# dracut mount hook: the Tether boot agent builds the root at $NEWROOT.
type die >/dev/null 2>&1 || . /lib/dracut-lib.sh

if [ "$root" = "tether" ]; then
    agent=/usr/lib/tether/agent/bin/tether-agent
    [ -x "$agent" ] || die "Tether: this initramfs has no boot agent ($agent); rebuild the image with imgutil build --agent-bundle"
    "$agent" boot "$NEWROOT"
    status=$?
    if [ "$status" -eq 75 ]; then
        # An unknown machine registered and was enrolled (tether.discover): boot again, as the node it now is.
        echo "Tether: rebooting into the enrolled node"
        reboot -f || echo b > /proc/sysrq-trigger
    fi
    [ "$status" -eq 0 ] || die "Tether: the boot agent failed with exit status $status; see the messages above"
fi

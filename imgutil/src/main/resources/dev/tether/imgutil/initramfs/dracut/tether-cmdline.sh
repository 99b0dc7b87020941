#!/bin/sh
# dracut cmdline hook: boot=tether means the Tether boot agent provides the root, over the network.
type getarg >/dev/null 2>&1 || . /lib/dracut-lib.sh

if [ "$(getarg boot=)" = "tether" ]; then
    root=tether
    rootok=1
    # The agent needs the network before the root exists; DHCP unless the command line says otherwise.
    getarg ip= >/dev/null || echo "rd.neednet=1 ip=dhcp" > /etc/cmdline.d/90tether.conf
fi

# Run by NamespaceExec as PID 1 of a fresh PID namespace, inside fresh mount and UTS namespaces
# (unshare --mount --pid --uts --fork). Everything mounted here belongs to the new mount namespace
# only, so it disappears with the last process in it: nothing is left on the host, even when the
# command fails or is killed.
#
# usage: sh -c "$this" enter-namespace ROOT HOSTNAME RESOLV_TARGET BIND_COUNT [SRC DST]... -- CMD [ARG]...
#   RESOLV_TARGET  where the host's resolv.conf is bound inside ROOT ("" for none)
#   DST            absolute path inside ROOT; NamespaceExec has checked it holds no symlink
set -eu

root=$1 name=$2 resolv=$3 count=$4
shift 4

# Do not let any mount made below propagate back to the host's shared mounts.
mount --make-rprivate /

mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"

# A minimal /dev: the usual character devices and a private pts instance, not the host's devices.
mount -t tmpfs -o nosuid,noexec,mode=0755,size=8m tmpfs "$root/dev"
mknod -m 0666 "$root/dev/null" c 1 3
mknod -m 0666 "$root/dev/zero" c 1 5
mknod -m 0666 "$root/dev/full" c 1 7
mknod -m 0666 "$root/dev/random" c 1 8
mknod -m 0666 "$root/dev/urandom" c 1 9
mknod -m 0666 "$root/dev/tty" c 5 0
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir -m 0755 "$root/dev/pts" "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/dev/shm"

mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs "$root/run"
mkdir -m 1777 "$root/run/lock"
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs "$root/tmp"

if [ -n "$resolv" ] && [ -f /etc/resolv.conf ]; then
    # The image's resolv.conf may point into /run, which is the fresh tmpfs above.
    mkdir -p "$(dirname "$resolv")"
    [ -e "$resolv" ] || : > "$resolv"
    mount --bind /etc/resolv.conf "$resolv"
fi

while [ "$count" -gt 0 ]; do
    src=$1 dst=$root$2
    shift 2
    count=$((count - 1))
    if [ -d "$src" ]; then
        mkdir -p "$dst"
    elif [ ! -e "$dst" ]; then
        mkdir -p "$(dirname "$dst")"
        : > "$dst"
    fi
    mount --rbind "$src" "$dst"
done

[ "$1" = "--" ] && shift
echo "$name" > /proc/sys/kernel/hostname

# exec twice over: this shell becomes chroot, chroot becomes the command, so the command is PID 1.
exec chroot "$root" "$@"

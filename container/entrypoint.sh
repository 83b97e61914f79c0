#!/bin/sh
# The mount container's entrypoint, run by mounter-init (and run again each time mounterd
# ends): installs kubelet-mounter and its default config on the host when asked, then runs
# mounterd with settings from the environment.
#   MOUNTER_SOCKET          mounterd's socket            (/run/mounter/mounter.sock)
#   MOUNTER_HOST_MOUNT_NS   the host's mount namespace   (/host/proc/1/ns/mnt)
#   MOUNTER_STATE_DIR       mounterd's state directory   (/var/lib/mounter)
#   MOUNTER_ARGS            more mounterd flags, split on blanks (--allow-fstype ...)
#   MOUNTER_INSTALL_KUBELET_MOUNTER         a host directory, seen here, to copy kubelet-mounter into
#   MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG  a host directory, seen here, for kubelet-mounter.conf
set -eu

# The routing the original kubelet patch gave on its command line; the static pod carries
# the matching label and container name.
DEFAULT_ROUTE='--mount-container=glusterfs:name=glusterfs-mounter:mounter'

# Replaces the file in one rename, so kubelet never runs a half-written kubelet-mounter.
install_atomically() { # SOURCE DIR NAME MODE
    tmp="$2/.$3.$$"
    cp "$1" "$tmp"
    chmod "$4" "$tmp"
    mv -f "$tmp" "$2/$3"
}

if [ -n "${MOUNTER_INSTALL_KUBELET_MOUNTER:-}" ]; then
    mkdir -p "$MOUNTER_INSTALL_KUBELET_MOUNTER"
    install_atomically /opt/mounter/bin/kubelet-mounter "$MOUNTER_INSTALL_KUBELET_MOUNTER" kubelet-mounter 0755
    echo "mounter-entrypoint: installed kubelet-mounter in $MOUNTER_INSTALL_KUBELET_MOUNTER" >&2
fi
if [ -n "${MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG:-}" ]; then
    conf_dir=$MOUNTER_INSTALL_KUBELET_MOUNTER_CONFIG
    if [ ! -e "$conf_dir/kubelet-mounter.conf" ]; then
        mkdir -p "$conf_dir"
        # a name of its own: install_atomically's temporary file is .kubelet-mounter.conf.$$
        staged="$conf_dir/.kubelet-mounter.conf.default.$$"
        printf '# written by the mount container; edit freely, it is not overwritten\n--volume-mounter=container\n%s\n' \
            "$DEFAULT_ROUTE" > "$staged"
        install_atomically "$staged" "$conf_dir" kubelet-mounter.conf 0644
        rm -f "$staged"
    fi
fi

# shellcheck disable=SC2086 # MOUNTER_ARGS is a list of flags
exec /opt/mounter/bin/mounterd \
    --socket "${MOUNTER_SOCKET:-/run/mounter/mounter.sock}" \
    --host-mount-ns "${MOUNTER_HOST_MOUNT_NS:-/host/proc/1/ns/mnt}" \
    --state-dir "${MOUNTER_STATE_DIR:-/var/lib/mounter}" \
    ${MOUNTER_ARGS:-}

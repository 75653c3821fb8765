#!/usr/bin/env bash
# live_http_children: a fixed HEAPPROF_HTTP port is held by the process
# that bound it first; its profiled children, which inherit the setting,
# cannot bind it.  The child whose parent runs the same heapprof with the
# same settings on the same stderr says nothing of it: the address is its
# parent's, which serves there or said it could not.  A server that ran a
# child every few seconds (or a pyenv shim, dozens of processes) repeated
# "cannot serve HTTP ... Address already in use" with each one.  A child
# with settings of its own still says it.  An address that is not this
# host's fails alike in each process: said once too.
source "$(dirname "$0")/lib.sh"

# The port, held by a server of its own for the whole test: whoever binds
# it next finds it in use, with no race against other programs.
start holder -- labels
[[ -n $PORT ]] || fail "the holder does not serve: $(cat "$W/holder.err")"

# sh cannot bind (the holder has the port) and says so: its parent, this
# script, runs no heapprof.  Its two children, same settings, same stderr,
# stay silent.  The third has a setting of its own and says it.  (`exit 0`
# last: no exec in place of sh, whose new image would say it again.)
run tree HEAPPROF_HTTP="127.0.0.1:$PORT" HEAPPROF_OUT="$W/tree" -- \
    sh -c '/bin/true; /bin/true; HEAPPROF_SAMPLE=1m /bin/true; exit 0'
expect_rc tree 0
msg="cannot serve HTTP on 127.0.0.1:$PORT: Address already in use; the HTTP server is off"
n=$(hp_msgs "$W/tree.err" | grep -cxF -- "$msg" || true)
[[ $n == 2 ]] || fail "expected the line from sh and from the child with its own settings only (2), got $n: $(cat "$W/tree.err")"
pids=$(sed -nE 's/^heapprof\[([0-9]+)\]: cannot serve.*/\1/p' "$W/tree.err" | sort -u | wc -l)
[[ $pids == 2 ]] || fail "the two lines should come from two processes: $(cat "$W/tree.err")"
note "children of a process with the same settings do not repeat that the address is in use"

# An address that is not this host's (TEST-NET-1) fails alike in every
# process of the tree: sh says so, its children with the same settings do
# not (each said it as well).
run tree2 HEAPPROF_HTTP="192.0.2.1:$PORT" HEAPPROF_OUT="$W/tree2" -- \
    sh -c '/bin/true; /bin/true; exit 0'
expect_rc tree2 0
n=$(hp_msgs "$W/tree2.err" | grep -c "cannot serve HTTP on 192.0.2.1:$PORT: " || true)
[[ $n == 1 ]] || fail "expected the line from sh only (1), got $n: $(cat "$W/tree2.err")"
note "children of a process with the same settings do not repeat that the address is not this host's"

# A parent that serves at the address said so ("serving"): its children,
# same settings, same stderr, find the address in use and say nothing.
# The port: one the kernel had free a moment ago.
port2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
run served HEAPPROF_HTTP="127.0.0.1:$port2" HEAPPROF_OUT="$W/served" -- \
    sh -c '/bin/true; /bin/true; exit 0'
expect_rc served 0
if grep -q "cannot serve HTTP on 127.0.0.1:$port2: Address already in use" "$W/served.err" &&
    ! grep -q "serving http://127.0.0.1:$port2/" "$W/served.err"; then
    note "port $port2 was taken by another program in the meantime: the serving parent is not checked"
else
    [[ $(hp_msgs "$W/served.err" | grep -c "^serving http://127.0.0.1:$port2/\$" || true) == 1 ]] ||
        fail "served: expected sh's serving line, found: $(cat "$W/served.err")"
    [[ $(hp_count "$W/served.err") == 1 ]] ||
        fail "served: the children of the serving sh should say nothing, found: $(cat "$W/served.err")"
    note "children of a process that serves at the address do not say it is in use"
fi

# The holder still serves.
[[ $(status /metrics) == 200 ]] || fail "the holder stopped serving"
stop holder
note "ok"

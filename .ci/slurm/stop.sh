#!/usr/bin/env bash
# Stop the one-node CI SLURM cluster started by start.sh: slurmd, slurmctld,
# then munged, each by its PID file (TERM, then KILL after 15 s).
# Tolerates daemons that are already gone or never started.
# Usage: .ci/slurm/stop.sh            (as root)
set -uo pipefail
RUN_DIR=${SLURM_CI_RUN_DIR:-/run/slurm}
MUNGE_PID=/run/munge/munged.pid

# alive PID: the process exists and is not a zombie (some init processes reap late)
alive() {
    [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

stop_pidfile() {  # name pidfile
    local name=$1 pidfile=$2 pid i
    if [ ! -s "$pidfile" ]; then
        echo "stop.sh: $name: no PID file ($pidfile), nothing to stop"
        return 0
    fi
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -z "$pid" ] || ! alive "$pid"; then
        echo "stop.sh: $name: not running (stale PID file $pidfile)"
        rm -f "$pidfile"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 30); do
        alive "$pid" || break
        sleep 0.5
    done
    if alive "$pid"; then
        echo "stop.sh: $name (pid $pid) ignored TERM, sending KILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    echo "stop.sh: $name (pid $pid) stopped"
}

# Cancel what is still queued or running, so slurmd's job steps end too.
# (Only while slurmctld is alive: without it, scancel retries for ~10 s.)
ctld_pid=$(cat "$RUN_DIR/slurmctld.pid" 2>/dev/null || true)
if [ "${SLURM_CI_KEEP_JOBS:-0}" != 1 ] && [ -n "$ctld_pid" ] && alive "$ctld_pid"; then
    jobs=$(timeout 10 squeue -h -o %i 2>/dev/null || true)
    if [ -n "$jobs" ]; then
        # shellcheck disable=SC2086
        timeout 10 scancel $jobs >/dev/null 2>&1 || true
        sleep 1
    fi
fi
stop_pidfile slurmd    "$RUN_DIR/slurmd.pid"
stop_pidfile slurmctld "$RUN_DIR/slurmctld.pid"
if [ "${SLURM_CI_KEEP_MUNGE:-0}" != 1 ]; then
    # A munged whose PID file was lost (e.g. deleted by a second munged that
    # failed to start) is found as the munge user's process named munged.
    if [ ! -s "$MUNGE_PID" ]; then
        for pid in $(pgrep -u munge -x munged 2>/dev/null); do
            if alive "$pid"; then echo "$pid" > "$MUNGE_PID"; break; fi
        done
    fi
    stop_pidfile munged "$MUNGE_PID"
fi
exit 0

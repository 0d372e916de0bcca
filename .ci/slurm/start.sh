#!/usr/bin/env bash
# Start a one-node SLURM cluster on this machine for CI (no systemd needed):
# munged (as user munge), slurmctld and slurmd (as root), one node named
# `hostname -s` with all CPUs and ~90% of RAM, one partition `debug`.
# No accounting (sacct does not work), no cgroups, no GPUs/GRES.
# Safe to run twice: if the cluster is already up it only reports; if some
# daemon is missing it stops the rest and starts everything afresh.
# Usage: .ci/slurm/start.sh   (as root, after install.sh)
#   SLURM_CI_TIMEOUT=60   seconds to wait for the node to become idle
#   SLURM_CI_RESTART=1    stop and restart even if already up
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUN_DIR=${SLURM_CI_RUN_DIR:-/run/slurm}
CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
LOG_DIR=/var/log/slurm
STATE_DIR=/var/spool/slurmctld
SPOOL_DIR=/var/spool/slurmd
TIMEOUT=${SLURM_CI_TIMEOUT:-60}
NODE=$(hostname -s)
NCPU=$(nproc)
MEM_MB=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)

[ "$(id -u)" -eq 0 ] || { echo "start.sh: must run as root" >&2; exit 1; }
for b in munged slurmctld slurmd sinfo; do
    command -v "$b" >/dev/null || { echo "start.sh: $b not found; run $HERE/install.sh first" >&2; exit 1; }
done

# A PID file's process is alive (a zombie is not: some init processes reap late).
alive() {
    local pid
    pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
node_state() { timeout 10 sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -1; }

dump_logs() {
    echo "---- munged log ----";     tail -n 30 /var/log/munge/munged.log 2>/dev/null || true
    echo "---- slurmctld log ----";  tail -n 60 "$LOG_DIR/slurmctld.log" 2>/dev/null || true
    echo "---- slurmd log ----";     tail -n 60 "$LOG_DIR/slurmd.log" 2>/dev/null || true
    echo "---- scontrol show node ----"; timeout 10 scontrol show node "$NODE" 2>&1 || true
    echo "---- processes ----"; ps -eo pid,user,args | grep -E '[s]lurm|[m]unge' || true
} >&2

# One start.sh at a time (parallel CI steps or test workers).
exec 9>/run/slurm-ci-start.lock
flock -w 180 9 || { echo "start.sh: another start.sh holds /run/slurm-ci-start.lock" >&2; exit 1; }

# ---- already running? ----------------------------------------------------
if [ "${SLURM_CI_RESTART:-0}" != 1 ] && alive /run/munge/munged.pid \
   && alive "$RUN_DIR/slurmctld.pid" && alive "$RUN_DIR/slurmd.pid"; then
    case "$(node_state)" in
        idle|mixed|allocated|completing)
            echo "start.sh: cluster already running"
            sinfo
            exit 0 ;;
    esac
fi
"$HERE/stop.sh" >/dev/null 2>&1 || true

# ---- munge -----------------------------------------------------------------
install -d -m 0700 -o munge -g munge /etc/munge /var/lib/munge
install -d -m 0700 -o munge -g munge /var/log/munge
install -d -m 0755 -o munge -g munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    echo "start.sh: creating munge key"
    if command -v mungekey >/dev/null; then
        mungekey --create --keyfile=/etc/munge/munge.key
    else
        dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
    fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
    # A second munged would fail on the socket and, exiting, delete the
    # running one's PID file: reuse the one that answers.
    echo "start.sh: munged already answering, not starting another"
else
    runuser -u munge -- /usr/sbin/munged 9>&-   # 9>&-: daemons must not inherit the lock
fi
for i in $(seq 1 20); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.5
done
if ! munge -n </dev/null | unmunge >/dev/null; then
    echo "start.sh: munged does not work" >&2; dump_logs; exit 1
fi

# ---- slurm.conf ----------------------------------------------------------
install -d -m 0755 "$CONF_DIR" "$RUN_DIR" "$LOG_DIR" "$STATE_DIR" "$SPOOL_DIR"
cat > "$CONF" <<CONF
# Written by .ci/slurm/start.sh: a one-node CI cluster without accounting.
ClusterName=ci
# Address given explicitly: works even when `hostname -s` does not resolve.
SlurmctldHost=$NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
MailProg=/bin/true
SlurmctldPort=6817
SlurmdPort=6818
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups, no accounting
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# a job without --mem would otherwise get the whole node's memory
DefMemPerCPU=1000
# keep finished jobs visible to squeue/scontrol for 10 min (no sacct here)
MinJobAge=600
ReturnToService=2
# take CPUs/memory from this file even if slurmd detects a different layout
SlurmdParameters=config_overrides
SlurmctldTimeout=60
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=$NODE CPUs=$NCPU RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF

# ---- daemons ------------------------------------------------------------
# -c: clean start, forget jobs of an earlier run (their state is stale anyway)
slurmctld -c -f "$CONF" 9>&-
slurmd -f "$CONF" 9>&-

deadline=$((SECONDS + TIMEOUT))
state=""
while [ $SECONDS -lt $deadline ]; do
    state=$(node_state || true)
    case "$state" in
        idle) break ;;
        down*|drain*|fail*)
            # e.g. a leftover "DOWN" from an earlier run: try to resume once
            timeout 10 scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 1
done
if [ "$state" != idle ]; then
    echo "start.sh: node $NODE did not become idle within ${TIMEOUT}s (state: '${state:-no answer}')" >&2
    echo "start.sh: daemons alive: munged=$(alive /run/munge/munged.pid && echo yes || echo no)" \
         "slurmctld=$(alive "$RUN_DIR/slurmctld.pid" && echo yes || echo no)" \
         "slurmd=$(alive "$RUN_DIR/slurmd.pid" && echo yes || echo no)" >&2
    dump_logs
    exit 1
fi
echo "start.sh: cluster up after $((SECONDS))s (node $NODE, CPUs=$NCPU, RealMemory=${MEM_MB}M, partition debug)"
sinfo

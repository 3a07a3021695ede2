#!/usr/bin/env bash
# Sweeps on a real Slurm cluster: starts a single-node cluster from Debian's slurm-wlm
# and munge (slurmctld and slurmd on 127.0.0.1, 2 CPUs, everything in a scratch folder),
# runs a 6-setting × 2-fold sweep through Slurm, cancels one run mid-run, checks the
# sweep reports it, runs only it again, and compares the table with a local sweep of
# the same seeds. Tears the cluster down and checks no process is left.
# Usage: Tests/Sweep/slurm.sh path/to/atelier
set -euo pipefail
atelier=$(realpath "${1:-.build/release/atelier}")
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d /tmp/atelier-slurm.XXXXXX)
notebook="$root/Tests/Sweep/tiny.atl"
fail() { echo "slurm sweep check failed: $*"; tail -20 "$scratch"/*.log 2>/dev/null || true; exit 1; }

daemons=()
teardown() {
  for pid in "${daemons[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$scratch/munged.pid" ] && kill "$(cat "$scratch/munged.pid")" 2>/dev/null || true
  sleep 1
  # Anything still running from this cluster (slurmstepd, a run) goes too.
  for pid in $(grep -lsa "$scratch" /proc/[0-9]*/cmdline | cut -d/ -f3); do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap teardown EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir -p "$scratch/munge" "$scratch/state" "$scratch/spool"
chmod 700 "$scratch/munge"
mungekey --create --keyfile="$scratch/munge/munge.key" >/dev/null 2>&1 ||
  dd if=/dev/urandom of="$scratch/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$scratch/munge/munge.key"
munged --force --key-file="$scratch/munge/munge.key" --socket="$scratch/munge/munge.socket" \
  --pid-file="$scratch/munged.pid" --log-file="$scratch/munged.log" --seed-file="$scratch/munge/seed"

export SLURM_CONF="$scratch/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=atelier
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$scratch/munge/munge.socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -D -i -f "$SLURM_CONF" >>"$scratch/slurmctld.out" 2>&1 &
daemons+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >>"$scratch/slurmd.out" 2>&1 &
daemons+=($!)
for _ in $(seq 60); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  [ "$state" = "idle" ] && break
  sleep 0.5
done
[ "$state" = "idle" ] || fail "the cluster did not come up (sinfo: '$state')"
echo "slurm: a single-node cluster is up"

grid=(--grid lr=0.02,0.1,0.3 --grid width=8,32 --folds 2 --set pause=2)

# The local sweep: the reference table, two runs at once.
ATELIER_THREADS=1 "$atelier" sweep "$notebook" "${grid[@]}" --jobs 2 --out "$scratch/local" --csv "$scratch/local.csv" \
  >"$scratch/local.out" 2>&1 || fail "the local sweep failed: $(cat "$scratch/local.out")"

# The same sweep on the cluster, submitted without waiting.
"$atelier" sweep "$notebook" "${grid[@]}" --on slurm --cpus 1 --mem 200M --time 00:10:00 --no-wait \
  --out "$scratch/slurm" >"$scratch/submit.out" 2>&1 || fail "submitting failed: $(cat "$scratch/submit.out")"
job=$(grep -o 'submitted Slurm job [0-9]*' "$scratch/submit.out" | grep -o '[0-9]*$') ||
  fail "no job id in: $(cat "$scratch/submit.out")"
grep -q -- '--array=0-11' "$scratch/slurm/sweep.sbatch" || fail "the array script: $(cat "$scratch/slurm/sweep.sbatch")"
grep -q 'ATELIER_THREADS="${SLURM_CPUS_PER_TASK:-1}"' "$scratch/slurm/sweep.sbatch" || fail "threads not from Slurm"

# Cancel run 3 while it runs.
running() { squeue -h -j "$job" -t R -o %K 2>/dev/null || true; }
for _ in $(seq 120); do
  grep -qx 3 <<<"$(running)" && break
  sleep 0.25
done
grep -qx 3 <<<"$(running)" || fail "run 3 never ran"
scancel "${job}_3"
for _ in $(seq 240); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h -j "$job")" ] || fail "the job did not finish"

gathered=$("$atelier" gather "$scratch/slurm" 2>&1) || fail "gather failed: $gathered"
grep -q 'sweep: 11 of 12 runs finished; 1 failed' <<<"$gathered" || fail "gather does not report the cancelled run: $gathered"
grep -q 'run 3 (lr=0.02, width=32, fold 1)' <<<"$gathered" || fail "gather does not name run 3: $gathered"
grep -q 'CANCELLED' <<<"$gathered" || fail "the report does not show run 3's log: $gathered"

# Run again with retry: only run 3 goes to the cluster.
again=$("$atelier" sweep "$notebook" "${grid[@]}" --on slurm --cpus 1 --mem 200M --time 00:10:00 --retry 1 \
  --out "$scratch/slurm" --csv "$scratch/slurm.csv" 2>&1) || fail "the second sweep failed: $again"
grep -q 'submitted Slurm job [0-9]* (1 runs)' <<<"$again" || fail "more than run 3 ran again: $again"
grep -q 'sweep: 12 of 12 runs finished' <<<"$again" || fail "the sweep did not finish: $again"
cmp -s "$scratch/local.csv" "$scratch/slurm.csv" ||
  fail "the tables differ: local $(cat "$scratch/local.csv") slurm $(cat "$scratch/slurm.csv")"

trap - EXIT
teardown
left=$(grep -lsa "$scratch" /proc/[0-9]*/cmdline || true)
[ -z "$left" ] || fail "processes left behind: $left"
echo "slurm sweep check passed: 12 runs on the cluster, run 3 cancelled, reported and run again, table equal to the local one"

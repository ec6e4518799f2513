#!/bin/bash
# One GPU lease: train three world models side by side for a fixed time, evaluate the two larger ones on the GPU,
# time the live step, and pack what comes back. Run from the repository root on the device
# (scripts/gpu/pack.sh prepares .gpu and .gl here first); what stop 15 ran on an H200.
set -u
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
M=${MINUTES:-4.5}
LOG=$OUT/log.txt
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $icd ] && export VK_DRIVER_FILES=$icd
cd .gpu
for f in headless vtest.frames tree.frames megamind.frames; do
  [ -f $f ] || python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1] + '.xz'), open(sys.argv[1], 'wb'))" $f
done
chmod +x headless
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; head -2 /etc/os-release; ldd --version | head -1; nproc; } > $LOG 2>&1
H="./headless"
if ! ./headless --help > /dev/null 2>> $LOG; then
  echo "falling back to the carried glibc" >> $LOG
  H="./libc/ld-linux-x86-64.so.2 --library-path ./libc ./headless"
fi
ldd ./headless >> $LOG 2>&1
D="--data scene:bounce@0.8 --data vtest.frames@0.1 --data tree.frames@0.1"
$H train $OUT/a --config default-64.json --minutes $M $D > $OUT/a.log 2>&1 & PA=$!
$H train $OUT/b --config grid8-ctx16.json --minutes $M $D > $OUT/b.log 2>&1 & PB=$!
$H train $OUT/c --config grid4-ctx16.json --minutes $M $D > $OUT/c.log 2>&1 & PC=$!
# A run that overruns its budget is stopped; its last checkpoint stays.
( sleep $(python3 -c "print(int($M * 60 + 90))"); kill $PA $PB $PC 2> /dev/null ) & W=$!
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv -l 20 > $OUT/gpu.log 2>&1 & G=$!
wait $PA $PB $PC; kill $W $G 2> /dev/null
echo "trained at $(el) s" >> $LOG
# A is evaluated on the CPU at home (its size runs there); the bigger two only here.
for m in b c; do
  [ -f $OUT/$m/model.json ] && timeout 200 $H eval $OUT/$m/model --real megamind.frames > $OUT/$m/eval.json 2> $OUT/$m-eval.log &
done
wait
echo "evaluated at $(el) s" >> $LOG
left=$(( 560 - $(el) ))
[ $left -gt 30 ] && timeout $left $H bench --config grid8-ctx16.json --config grid4-ctx16.json > $OUT/bench.md 2> $OUT/bench.log
echo "benched at $(el) s" >> $LOG
cd $OUT
for m in a b c; do
  [ -d $m ] && tar czf $m.tgz $m/model.safetensors $m/model.json $m/loss.png $m/train-state.json $m/eval.json 2>> $LOG
  rm -rf $m
done
tar czf logs.tgz *.log && rm -f *.log
echo "packed at $(el) s" >> $LOG
ls -la >> $LOG

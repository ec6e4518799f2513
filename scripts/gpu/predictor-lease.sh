#!/bin/bash
# One GPU lease for the predictor line (written in stop 27, after the CPU runs levelled off):
# the default's predictor grown to 6 layers and trained alone on a bank of 20 000 scene clips'
# latents with batches of 64 (reach-predictor.json), then its decoder trained on the new
# rollouts (reach-decoder.json, the default's decoder stage). Nothing is evaluated here: the
# card's figures come from `augur eval` on the CPU at home. Run from the repository root on the
# device after scripts/gpu/pack.sh, carrying .gpu and .gl:
#   bash scripts/gpu/predictor-lease.sh          (PRED_MINUTES, DEC_MINUTES, DEVICE to change)
# At home: untar $OUT/dec.tgz, then `augur eval --model dec/model --data file:…/Megamind.avi`.
set -u
T0=$(date +%s)
el() { echo $(( $(date +%s) - T0 )); }
P=${PRED_MINUTES:-4.5}
D=${DEC_MINUTES:-2}
DEV=${DEVICE:-gpu}
OUT=${OUT:?the device tool sets OUT; set it to a folder to run this elsewhere}
LOG=$OUT/log.txt
ROOT=$PWD
for f in .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done
ldconfig 2> /dev/null
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $icd ] && export VK_DRIVER_FILES=$icd
cd .gpu
for f in headless vtest.frames tree.frames; do
  [ -f $f ] || python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1] + '.xz'), open(sys.argv[1], 'wb'))" $f
done
chmod +x headless
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nproc; } > $LOG 2>&1
H="./headless"
if ! ./headless --help > /dev/null 2>> $LOG; then
  echo "falling back to the carried glibc" >> $LOG
  H="./libc/ld-linux-x86-64.so.2 --library-path ./libc ./headless"
fi
nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv -l 20 > $OUT/gpu.log 2>&1 & G=$!
# A stage that overruns its budget by more than a minute (the bank's encoding) is stopped; its last
# checkpoint stays.
stage() {
  local name=$1 minutes=$2; shift 2
  $H train $OUT/$name --minutes $minutes --device $DEV "$@" > $OUT/$name.log 2>&1 & local p=$!
  ( sleep $(python3 -c "print(int($minutes * 60 + 60))"); kill $p 2> /dev/null ) & local w=$!
  wait $p; echo "$name: exit $? at $(el) s" >> $LOG; kill $w 2> /dev/null
}
stage pred $P --init $ROOT/models/bounce-64-reach --config reach-predictor.json --data scene:bounce
if [ -f $OUT/pred/model.json ]; then
  stage dec $D --init $OUT/pred/model --config reach-decoder.json \
    --data scene:bounce@0.7 --data vtest.frames@0.15 --data tree.frames@0.15
fi
kill $G 2> /dev/null
cd $OUT
for m in pred dec; do
  [ -d $m ] && tar czf $m.tgz $m/model.safetensors $m/model.json $m/loss.png 2>> $LOG && rm -rf $m
done
tail -n 3 pred.log dec.log >> $LOG 2>&1
tar czf logs.tgz *.log && rm -f pred.log dec.log
echo "packed at $(el) s" >> $LOG
ls -la >> $LOG

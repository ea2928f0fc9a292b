# Stages of a CI script, sourced by .ci/run (and by chapter 19, which runs a quick part of CI the same way).
# Each log line starts a stage and ends the previous one; on exit a table says how long each took.
STAGE_NAMES=() STAGE_SECONDS=() STAGE_STARTED=""
log() { end_stage; printf '\n=== %s\n' "$*"; STAGE_NAMES+=("$*"); STAGE_STARTED=$EPOCHREALTIME; }
end_stage() {
  [ -n "$STAGE_STARTED" ] || return 0
  STAGE_SECONDS+=("$(awk -v a="$STAGE_STARTED" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')")
  STAGE_STARTED=""
}
stage_table() {
  local status=$1 i total=0
  end_stage
  printf '\n%-78s %7s\n' stage seconds
  for i in "${!STAGE_NAMES[@]}"; do
    printf '%-78s %7s\n' "${STAGE_NAMES[$i]:0:78}" "${STAGE_SECONDS[$i]}"
    total=$((total + STAGE_SECONDS[i]))
  done
  printf '%-78s %7s\n' "total$([ "$status" = 0 ] || echo ", FAILED in the last stage (exit $status)")" "$total"
}
trap 'stage_table $?' EXIT

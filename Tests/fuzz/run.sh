#!/usr/bin/env bash
# Builds each libFuzzer target (Swift's -sanitize=fuzzer with AddressSanitizer) from the sources of the
# module it exercises, replays the committed regression inputs, then fuzzes each for SECONDS (default 60)
# from the committed seed corpus. Any crash input is left in Tests/fuzz/crashes/ (commit it to regressions/).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
out="$(mktemp -d)"; mkdir -p "$here/crashes"
export SWIFT_BACKTRACE=enable=no
build() {  # build NAME MODULE SOURCES...
  local name=$1 module=$2; shift 2
  swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name "$module" "$@" -o "$out/$name" 2>&1 | grep -v "ld.gold: warning" || true
  [ -x "$out/$name" ] || { echo "could not build fuzz target $name"; exit 1; }
}
build framing LSP "$root"/Sources/LSP/*.swift "$here/FuzzFraming.swift"
config="ModelConfig ModelError ConfigKeys RotaryEmbedding DiffusionGemmaConfig"
build safetensors SafeTensors "$root"/Sources/SafeTensors/*.swift $(for f in $config; do echo "$root/Sources/DiffusionModel/$f.swift"; done) "$here/FuzzSafeTensors.swift"
build tokenizer Tokenizer "$root"/Sources/Tokenizer/*.swift "$here/FuzzTokenizer.swift"
# Server's files import LSP and Completion (for RecentEdit); compiled as one module here, those imports
# are dropped from copies and RecentEdit is compiled in.
mkdir -p "$out/server"
for f in TextDocument DocumentStore ServerError; do sed -e '/^import LSP$/d' -e '/^import Completion$/d' "$root/Sources/Server/$f.swift" > "$out/server/$f.swift"; done
build positions Server "$root"/Sources/LSP/*.swift "$root/Sources/Completion/RecentEdit.swift" "$out/server/TextDocument.swift" "$out/server/DocumentStore.swift" "$out/server/ServerError.swift" "$here/FuzzPositions.swift"
status=0
for t in framing safetensors tokenizer positions; do
  corpus="$(mktemp -d)"; cp -r "$here/corpus/$t/." "$corpus/" 2>/dev/null || true
  regressions=$(ls "$here/regressions/$t"-* 2>/dev/null || true)
  if [ -n "$regressions" ]; then "$out/$t" $regressions >/dev/null 2>&1 || { echo "regression input crashes $t"; status=1; }; fi
  log="$out/$t.log"
  if ! "$out/$t" -max_total_time="$seconds" -artifact_prefix="$here/crashes/$t-" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    echo "fuzz $t: CRASH"; grep -E "ERROR|Fatal|precondition" "$log" | head -5; status=1
  fi
  runs=$(grep -E "stat::number_of_executed_units" "$log" | awk '{print $2}')
  echo "fuzz $t: ${runs:-?} executions in ${seconds}s"
done
exit $status

#!/usr/bin/env bash
# Packs the five GauMLNet packages (GauMLNet.Core, GauMLNet, GauMLNet.Onnx, GauMLNet.Serving and the gau tool
# GauMLNet.Cli) into one folder that works as a NuGet feed, until a public feed exists:
#   build/pack-local-feed.sh [DIR] [dotnet pack arguments…]      DIR defaults to ~/gau-feed
#   dotnet add package GauMLNet --source DIR
#   dotnet tool install GauMLNet.Cli --tool-path ~/.gau --add-source DIR
# The tool is packed for this machine's platform; GAU_TOOL_RIDS="linux-x64;win-x64;osx-arm64" packs more.
# Extra arguments go to every dotnet pack, e.g. -p:GauRepositoryUrl=https://github.com/OWNER/REPO to name the repository.
set -euo pipefail
feed=${1:-$HOME/gau-feed}
[[ $# -gt 0 ]] && shift
cd "$(dirname "$0")/.."

if [[ -z "${GAU_TOOL_RIDS:-}" ]]; then
  case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) GAU_TOOL_RIDS=linux-x64 ;;
    Darwin/arm64) GAU_TOOL_RIDS=osx-arm64 ;;
    MINGW*/x86_64 | MSYS*/x86_64 | CYGWIN*/x86_64) GAU_TOOL_RIDS=win-x64 ;;
    *) echo "pack-local-feed: the gau tool has no libtorch for $(uname -s)/$(uname -m); set GAU_TOOL_RIDS (linux-x64, win-x64, osx-arm64)" >&2; exit 64 ;;
  esac
fi

mkdir -p "$feed"
feed=$(cd "$feed" && pwd)
for project in src/GauMLNet.Core src/GauMLNet src/GauMLNet.Onnx src/GauMLNet.Serving src/GauMLNet.Cli; do
  dotnet pack "$project" -c Release -o "$feed" "-p:GauToolRuntimeIdentifiers=$GAU_TOOL_RIDS" -nologo -v:q "$@"
done
echo "pack-local-feed: packages in $feed:"
(cd "$feed" && ls -1 ./*.nupkg | sed 's:^\./:  :')
echo "pack-local-feed: use it with: dotnet add package GauMLNet --source $feed"

#!/usr/bin/env bash
# Copies the corpus of public Camunda 8 models listed in docs/corpus.md out of local git copies of their
# repositories into a folder (default .corpus, ignored by git): each model into a folder of its own, with the
# .dmn and .form files beside it in its repository. Reads only local clones; fetches nothing.
# Usage: assemble-corpus.sh <mirrors> [target]   (a clone of owner/name is <mirrors>/<owner>+<name>/repo)
set -euo pipefail
mirrors=${1:?usage: assemble-corpus.sh <mirrors> [target]}
target=${2:-.corpus}
here=$(cd "$(dirname "$0")/../.." && pwd)
count=0
while IFS='|' read -r _ repo commit path _; do
  repo=$(echo "$repo" | xargs); commit=$(echo "$commit" | xargs); path=$(echo "$path" | sed 's/^ *//; s/ *$//; s/\\_/_/g')
  [[ "$path" == *.bpmn ]] || continue
  git_dir="$mirrors/${repo/\//+}/repo"
  dir=$(dirname "$path")
  folder="$target/${repo/\//+}/${dir//\//_}"
  mkdir -p "$folder"
  git -C "$git_dir" show "$commit:$path" > "$folder/$(basename "$path")"
  while IFS= read -r sibling; do
    git -C "$git_dir" show "$commit:$sibling" > "$folder/$(basename "$sibling")"
  done < <(git -C "$git_dir" ls-tree --name-only "$commit" -- "$dir/" | grep -E '\.(dmn|form)$' || true)
  count=$((count + 1))
done < <(grep -E '^\| [^ ]+/[^ ]+ +\| [0-9a-f]{40} +\|' "$here/docs/corpus.md")
echo "$count models in $target"

# seed-home: copy this session's credential Secret into its HOME, but only when the Secret changed.
# The opencode-claude-auth plugin refreshes tokens and writes them back under HOME; re-seeding an
# older Secret on every restart would throw those refreshed tokens away. A new upload changes the
# hash and therefore always wins. Uses only $HOME and $COLLAB_CREDENTIALS_DIR (the local node maps them).
set -eu
creds="${COLLAB_CREDENTIALS_DIR:?COLLAB_CREDENTIALS_DIR is not set}"
umask 077
mkdir -p "$HOME/workspace" "$HOME/.collab"
# opencode takes directory locks under ~/.local/state/opencode/locks (e.g. while it installs its config-dir
# dependencies in the background, where it also ignores SIGTERM); a worker stopped in that window leaves the lock
# behind and the next worker waits on it for minutes before it answers. No opencode runs on this HOME while the
# init container does: every lock found here is stale.
rm -rf "$HOME/.local/state/opencode/locks"
keys="claude-credentials.json auth.json opencode.json"

# Same digest as the operator's status.credentialsHash: for each known key present, "key\n" + content.
new_hash=$(for k in $keys; do
  if [ -f "$creds/$k" ]; then printf '%s\n' "$k"; cat "$creds/$k"; fi
done | sha256sum | cut -d' ' -f1)
old_hash=$(cat "$HOME/.collab/credentials.sha256" 2>/dev/null || true)
if [ "$new_hash" = "$old_hash" ]; then
  echo "seed-home: credentials unchanged since last seed; keeping the files in HOME"
  exit 0
fi

seed() {
  src="$creds/$1"
  dst="$HOME/$2"
  [ -f "$src" ] || return 0
  mkdir -p "$(dirname "$dst")"
  cat "$src" > "$dst.seed-tmp"
  chmod 600 "$dst.seed-tmp"
  mv -f "$dst.seed-tmp" "$dst"
  echo "seed-home: seeded ~/$2"
}
seed claude-credentials.json .claude/.credentials.json
seed auth.json .local/share/opencode/auth.json
seed opencode.json .config/opencode/opencode.json
printf '%s\n' "$new_hash" > "$HOME/.collab/credentials.sha256"

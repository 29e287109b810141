#!/usr/bin/env bash
# Builds dist/secrets-delegate_<version>_amd64.deb (`make package`).
#
# The version comes from Sources/Delegate/DelegateVersion.swift (the one place it is written).
# The two binaries are release builds with the Swift standard library (and, in the full one,
# FoundationEssentials) linked statically and stripped, so hosts need no Swift; they may only need the
# distro's C libraries, which become Depends: through dpkg-shlibdeps. The man page and shell completions are generated from the CLI.
set -euo pipefail
# Files it writes get their modes from here, not from the caller's umask (002 would make a
# configuration group-writable, which the delegate refuses).
umask 022

cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
PACKAGE=secrets-delegate
ARCH=$(dpkg --print-architecture)
OUT=${OUT:-dist}

say() { printf '==> %s\n' "$*"; }
die() { printf 'build-package: error: %s\n' "$*" >&2; exit 1; }

# The version rule is shared with the booted tier (Tests/Booted/run.sh), which names the .deb it builds.
VERSION=$(scripts/package-version.sh)

# The changelog's date and the man page's date come from the last commit, so the same commit
# gives the same package contents.
if SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null)} && [ -n "$SOURCE_DATE_EPOCH" ]; then :; else
    SOURCE_DATE_EPOCH=$(date +%s)
fi
export SOURCE_DATE_EPOCH
MAINTAINER=${MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$MAINTAINER" ] || die "set MAINTAINER='Name <email>' (no git history to take it from)"

say "secrets-delegate $VERSION ($ARCH)"

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/secrets-delegate-pkg.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# --- 1. The binaries -------------------------------------------------------------------------
# Two: /usr/bin/secrets-delegate, the small front binary, which serves `get --socket` itself and
# otherwise becomes /usr/libexec/secrets-delegate/secrets-delegated, the full one
# (docs/INTERFACE.md section 10, "Two binaries"). The flags are in scripts/swift-build-release.sh, shared with `make release` and
# `make bench`.
FULL_NAME=secrets-delegated
BIN_DIR=$(SWIFT="$SWIFT" scripts/swift-build-release.sh --show-bin-path)
# The script drops SwiftPM's cached build plan (one made with other flags was reused once, and
# linked the Swift runtime dynamically) and the binary it builds, so the link step always runs (a
# few seconds). The checks below would catch a binary linked otherwise anyway.
ROOT="$STAGE/root"
install -d -m 0755 "$ROOT/DEBIAN" "$ROOT/usr/bin" "$ROOT/usr/libexec/$PACKAGE"
for product in "$PACKAGE" "$FULL_NAME"; do
    say "scripts/swift-build-release.sh --product $product"
    SWIFT="$SWIFT" scripts/swift-build-release.sh --product "$product"
    [ -x "$BIN_DIR/$product" ] || die "no binary at $BIN_DIR/$product"
done
# The order file lays out the full binary's code (scripts/swift-build-release.sh); lld skips names
# it no longer finds, silently. Most of them missing means the file is stale: regenerate it.
ORDERED=$(grep -v '^#' packaging/secrets-delegated.order | LC_ALL=C sort -u)
PRESENT=$(nm --defined-only "$BIN_DIR/$FULL_NAME" | awk '{print $3}' | LC_ALL=C sort -u | LC_ALL=C comm -12 - <(printf '%s\n' "$ORDERED") | wc -l)
say "order file: $PRESENT of $(wc -l <<<"$ORDERED") functions found in $FULL_NAME"
[ $((PRESENT * 2)) -ge "$(wc -l <<<"$ORDERED")" ] ||
    die "packaging/secrets-delegated.order is stale (most names missing): run scripts/order-file.sh"
# packaging/release-layout.ld: the functions without a symbol are gathered in an executable
# section before .text, and .rodata is read-only.
section_field() {  # section_field BINARY SECTION OFFSET: the field OFFSET after the section's name
    readelf -S -W "$1" | awk -v name="$2" -v offset="$3" '{for (i = 1; i < NF; i++) if ($i == name) print $(i + offset)}'
}
PRIVATE_SIZE=$(section_field "$BIN_DIR/$FULL_NAME" .text.private 4)
PRIVATE_FLAGS=$(section_field "$BIN_DIR/$FULL_NAME" .text.private 6)
[ $((16#${PRIVATE_SIZE:-0})) -gt 0 ] && [[ $PRIVATE_FLAGS == *X* ]] ||
    die "$FULL_NAME has no executable .text.private section: packaging/release-layout.ld was not applied, or the compiler no longer emits .text..L* sections"
RODATA_FLAGS=$(section_field "$BIN_DIR/$FULL_NAME" .rodata 6)
[ -n "$RODATA_FLAGS" ] && [[ $RODATA_FLAGS != *W* ]] ||
    die "$FULL_NAME's .rodata is writable (flags '$RODATA_FLAGS'): packaging/release-layout.ld was not applied"
BIN="$ROOT/usr/bin/$PACKAGE"
FULL="$ROOT/usr/libexec/$PACKAGE/$FULL_NAME"
install -m 0755 "$BIN_DIR/$PACKAGE" "$BIN"
install -m 0755 "$BIN_DIR/$FULL_NAME" "$FULL"
strip --strip-all --remove-section=.comment "$BIN" "$FULL"

# The binaries may need only these shared libraries (no Swift runtime, no Foundation).
ALLOWED_NEEDED='^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libutil\.so\.1|ld-linux-x86-64\.so\.2|libssl\.so\.3|libcrypto\.so\.3|libsystemd\.so\.0|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
for binary in "$BIN" "$FULL"; do
    name=${binary#"$ROOT"}
    # Linked as scripts/swift-build-release.sh says: full RELRO, immediate binding, packed relative
    # relocations (a binary linked otherwise, by a stale build plan say, is not shipped).
    # (Outputs are captured first: `readelf | grep -q` under pipefail fails when grep stops early.)
    DYNAMIC=$(readelf -d "$binary")
    grep -qE '\(FLAGS\).*\bBIND_NOW\b' <<<"$DYNAMIC" || die "$name is not bound immediately (BIND_NOW)"
    grep -qE '\(FLAGS_1\).*\bNOW\b' <<<"$DYNAMIC" || die "$name's FLAGS_1 lack NOW"
    grep -qE '\(FLAGS_1\).*\bPIE\b' <<<"$DYNAMIC" || die "$name is not position independent (PIE)"
    grep -qF '(RELR)' <<<"$DYNAMIC" || die "$name has no packed relative relocations (RELR)"
    SEGMENTS=$(readelf -lW "$binary")
    grep -q GNU_RELRO <<<"$SEGMENTS" || die "$name has no GNU_RELRO segment"
    NEEDED=$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$DYNAMIC")
    say "$name NEEDED: $(echo $NEEDED)"
    for lib in $NEEDED; do
        [[ $lib != libcurl.so.* ]] || die "$name links $lib; it should open libcurl at run time (CCurlShim)"
        [[ $lib =~ $ALLOWED_NEEDED ]] || die "$name needs $lib, which a Debian host without Swift lacks"
    done
    if ldd "$binary" | grep -E 'not found|libswift|libFoundation|libdispatch|libBlocksRuntime' >&2; then
        die "$name needs libraries a host without Swift does not have (see above)"
    fi
done
# The front binary starts fast because it maps no more than the C and C++ runtime libraries.
FRONT_NEEDED=$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
for lib in $FRONT_NEEDED; do
    [[ $lib =~ ^(libc|libm|libstdc\+\+|libgcc_s|ld-linux-x86-64)\.so ]] || die "the front binary needs $lib (it must stay small)"
done
# The full binary has FoundationEssentials, never Foundation, CoreFoundation or ICU (see
# scripts/swift-build-release.sh): their code would show among the symbols it exports.
EXPORTED=$(nm -D --defined-only "$FULL") || die "nm -D $FULL failed"
[ -n "$EXPORTED" ] || die "the full binary exports no symbols; the Foundation check below would see nothing"
FOUNDATION_SYMBOLS=$(grep -cE '10Foundation|[ _]CF[A-Z][A-Za-z]+$|icu_[0-9]+|icudt[0-9]+_dat' <<<"$EXPORTED" || true)
[ "$FOUNDATION_SYMBOLS" = 0 ] || die "the full binary has $FOUNDATION_SYMBOLS Foundation, CoreFoundation or ICU symbols"
"$BIN" --version | grep -qx "$VERSION" || die "the binaries report '$("$BIN" --version)', not $VERSION"

# --- 2. Units, sysusers, tmpfiles, configuration ------------------------------------------------
install -d -m 0755 "$ROOT/lib/systemd/system" "$ROOT/usr/lib/sysusers.d" "$ROOT/usr/lib/tmpfiles.d" \
    "$ROOT/etc/$PACKAGE"
grep -q "^ExecStart=/usr/bin/$PACKAGE " systemd/$PACKAGE.service ||
    die "systemd/$PACKAGE.service does not start /usr/bin/$PACKAGE"
install -m 0644 systemd/$PACKAGE.service systemd/$PACKAGE.socket systemd/$PACKAGE-credentials.socket \
    "$ROOT/lib/systemd/system/"
install -m 0644 systemd/$PACKAGE.sysusers "$ROOT/usr/lib/sysusers.d/$PACKAGE.conf"
install -m 0644 systemd/$PACKAGE.tmpfiles "$ROOT/usr/lib/tmpfiles.d/$PACKAGE.conf"
install -m 0644 packaging/delegate.toml "$ROOT/etc/$PACKAGE/delegate.toml"
# The staged copy, 0644 whatever the checkout's umask (check-config refuses a file others may
# write, as a group-writable checkout's would be).
"$BIN" check-config --config "$ROOT/etc/$PACKAGE/delegate.toml" >/dev/null ||
    die "packaging/delegate.toml does not pass check-config"

# --- 3. Man page and completions, generated from the CLI -------------------------------------------
# The man page comes from swift-argument-parser's generate-manual tool, the one its
# `swift package plugin generate-manual` runs. We build the tool from the resolved checkout and run
# it on the binary we ship: the plugin would instead rebuild the whole package in release mode
# without --static-swift-stdlib (minutes), relinking the release secrets-delegated dynamically. The
# checkout is the release build's (scripts/swift-build-release.sh's scratch directory).
ARGUMENT_PARSER=.build-release/checkouts/swift-argument-parser
[ -d "$ARGUMENT_PARSER" ] || die "$ARGUMENT_PARSER is missing (swift package resolve)"
say "building swift-argument-parser's generate-manual"
"$SWIFT" build --package-path "$ARGUMENT_PARSER" --scratch-path .build-release/generate-manual \
    --product generate-manual >"$STAGE/generate-manual-build.log" 2>&1 ||
    { cat "$STAGE/generate-manual-build.log" >&2; die "building generate-manual failed"; }
GENERATE_MANUAL="$("$SWIFT" build --package-path "$ARGUMENT_PARSER" --scratch-path .build-release/generate-manual --show-bin-path)/generate-manual"
MAN_DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
mkdir -p "$STAGE/man"
"$GENERATE_MANUAL" "$BIN" --date "$MAN_DATE" --authors "secrets-delegate contributors" \
    --output-directory "$STAGE/man" || die "generate-manual failed"
MAN_PAGE="$STAGE/man/$PACKAGE.1"
[ -s "$MAN_PAGE" ] || die "generate-manual wrote no $MAN_PAGE"
install -d -m 0755 "$ROOT/usr/share/man/man1"
gzip -9n <"$MAN_PAGE" >"$ROOT/usr/share/man/man1/$PACKAGE.1.gz"
chmod 0644 "$ROOT/usr/share/man/man1/$PACKAGE.1.gz"

install -d -m 0755 "$ROOT/usr/share/bash-completion/completions" \
    "$ROOT/usr/share/zsh/vendor-completions" "$ROOT/usr/share/fish/vendor_completions.d"
# bash completions are sourced, not run: no #! line.
"$BIN" --generate-completion-script bash | sed '1{/^#!/d}' >"$ROOT/usr/share/bash-completion/completions/$PACKAGE"
"$BIN" --generate-completion-script zsh >"$ROOT/usr/share/zsh/vendor-completions/_$PACKAGE"
"$BIN" --generate-completion-script fish >"$ROOT/usr/share/fish/vendor_completions.d/$PACKAGE.fish"
chmod 0644 "$ROOT/usr/share/bash-completion/completions/$PACKAGE" \
    "$ROOT/usr/share/zsh/vendor-completions/_$PACKAGE" "$ROOT/usr/share/fish/vendor_completions.d/$PACKAGE.fish"

# --- 4. Documentation ----------------------------------------------------------------------------
DOC="$ROOT/usr/share/doc/$PACKAGE"
install -d -m 0755 "$DOC"
install -m 0644 packaging/copyright "$DOC/copyright"
# The unit's Documentation= points at README.md here.
install -m 0644 docs/INTERFACE.md "$DOC/INTERFACE.md"
if [ -f README.md ]; then
    install -m 0644 README.md "$DOC/README.md"
else
    echo "build-package: warning: no README.md to ship (the unit's Documentation= names it)" >&2
fi
install -d -m 0755 "$ROOT/usr/share/lintian/overrides"
install -m 0644 packaging/lintian-overrides "$ROOT/usr/share/lintian/overrides/$PACKAGE"
# A native package (no Debian revision): the changelog is changelog.gz.
{
    printf '%s (%s) unstable; urgency=medium\n\n' "$PACKAGE" "$VERSION"
    printf '  * Release %s; see the project'"'"'s history for the changes.\n\n' "$VERSION"
    printf ' -- %s  %s\n' "$MAINTAINER" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$DOC/changelog.gz"
chmod 0644 "$DOC/changelog.gz"

# --- 5. Control files ----------------------------------------------------------------------------
for script in postinst prerm postrm; do
    install -m 0755 packaging/maintainer/$script "$ROOT/DEBIAN/$script"
done
echo "/etc/$PACKAGE/delegate.toml" >"$ROOT/DEBIAN/conffiles"
chmod 0644 "$ROOT/DEBIAN/conffiles"

# dpkg-shlibdeps turns the binaries' NEEDED entries into versioned Depends (libc6, libssl3,
# libsystemd0, ...). It wants a debian/control to stand in. libcurl is not among them: the full binary
# opens libcurl.so.4 at its first HTTP request (so `get` and `exec` never map it), so libcurl4 is
# named by hand, at the first version with everything used (CURLOPT_PROTOCOLS_STR: 7.85.0; the full binary
# also refuses an older one when it opens it).
mkdir -p "$STAGE/src/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$PACKAGE" "$PACKAGE" >"$STAGE/src/debian/control"
SHLIBS=$(cd "$STAGE/src" && dpkg-shlibdeps -O "$BIN" "$FULL" 2>"$STAGE/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p') ||
    { cat "$STAGE/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
for dep in libssl3 libsystemd0; do
    grep -q "$dep" <<<"$SHLIBS" || die "Depends lacks $dep ($SHLIBS)"
done
# The binaries' packed relative relocations (DT_RELR, required above) need glibc 2.36: an older
# loader ignores them and the binaries crash at start. dpkg-shlibdeps does not see that (the
# version GLIBC_ABI_DT_RELR has no symbols), so the libc6 Depends is raised here.
LIBC=$(grep -oE 'libc6 \(>= [^)]+\)' <<<"$SHLIBS" | sed -E 's/libc6 \(>= ([^)]+)\)/\1/') ||
    die "Depends names no versioned libc6 ($SHLIBS)"
if dpkg --compare-versions "$LIBC" lt 2.36; then
    SHLIBS=$(sed -E 's/libc6 \(>= [^)]+\)/libc6 (>= 2.36)/' <<<"$SHLIBS")
fi
SHLIBS="$SHLIBS, libcurl4 (>= 7.85.0)"
# systemd-sysusers and systemd-tmpfiles run in postinst; the unit's ExecReload= runs /bin/kill
# (procps: priority important, so present on standard installs but not in a minimal root); every
# AWS call is HTTPS, checked against the system's CA certificates (libcurl4 only recommends them).
DEPENDS="$SHLIBS, procps, ca-certificates, systemd | systemd-standalone-sysusers, systemd | systemd-standalone-tmpfiles"

( cd "$ROOT" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | sort -z |
    xargs -0 md5sum >DEBIAN/md5sums )
chmod 0644 "$ROOT/DEBIAN/md5sums"
INSTALLED_SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)

cat >"$ROOT/DEBIAN/control" <<CONTROL
Package: $PACKAGE
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Section: admin
Priority: optional
Description: host agent that runs AWS Secrets Manager tasks
 secrets-delegate is a daemon for EC2 instances and other hosts. Producers hand
 it tasks (one AWS Secrets Manager operation each, with the connector that says
 how to reach Secrets Manager and which delegates may run it) through a spool
 directory or a Unix socket. The delegate runs the tasks whose selectors match
 its tags, resolves the connector's credentials (environment, instance role,
 STS AssumeRole, credential files), makes the SigV4-signed call and hands back
 the result.
 .
 It runs under systemd (Type=notify, watchdog, reload, socket activation, a
 hardened unit) and logs structured fields to the journal. The Swift runtime is
 linked statically: the host needs no Swift toolchain.
CONTROL

# --- 6. The .deb ---------------------------------------------------------------------------------
mkdir -p "$OUT"
DEB="$OUT/${PACKAGE}_${VERSION}_${ARCH}.deb"
find "$ROOT" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
say "built $DEB ($(du -h "$DEB" | cut -f1))"
dpkg-deb --info "$DEB" | sed -n '/Package:/,$p' | sed 's/^/    /'

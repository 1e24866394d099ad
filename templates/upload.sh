#!/bin/sh
# Uploads an ESP-IDF build to ota-edge: a bundle of the app image, ELF, map, sdkconfig and
# version.json, so that core dumps can later be decoded against the exact ELF.
#
#   curl -fsSL <server>/api/pipeline/upload.sh | sh -s -- [model_code] [path/to/app.bin]
#
# Run it in the ESP-IDF project root after `idf.py build`. Without arguments the model code is the
# build's project_name and the image is the build's app_bin (from build/project_description.json).
#
# Credentials, from the environment:
#   IOTSUPPORT_TOKEN          a bearer token with the pipeline role (e.g. the CI system's own OIDC
#                             token, when the identity provider trusts it)
#   IOTSUPPORT_CLIENT_ID      otherwise: a client id and secret exchanged for a token at the
#   IOTSUPPORT_CLIENT_SECRET  server's token URL (OAuth 2 client credentials)
#   IOTSUPPORT_SCOPE, IOTSUPPORT_AUDIENCE    optional, sent with that exchange when set
#   IOTSUPPORT_BASE_URL, IOTSUPPORT_TOKEN_URL    optional, override the URLs filled in below
#
# Needs curl; uses zip for the bundle (without it the bare app image is uploaded) and jq when it
# is installed. It defines everything first and runs on its last line, so a download cut short
# runs nothing.
set -eu

# Filled in by the server that served this script.
served_base_url='__OTA_BASE_URL__'
served_token_url='__OTA_TOKEN_URL__'

me=upload.sh

info() { printf '%s: %s\n' "$me" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$me" "$*" >&2; }
die() {
	printf '%s: error: %s\n' "$me" "$*" >&2
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

usage() {
	cat <<EOF
usage: $me [model_code] [path/to/app.bin]

Uploads the ESP-IDF build in the current directory to $base_url
Model code and image default to the build's project_name and app_bin.
Credentials: IOTSUPPORT_TOKEN, or IOTSUPPORT_CLIENT_ID and IOTSUPPORT_CLIENT_SECRET
exchanged at ${token_url:-(no token URL configured)}
EOF
}

# A JSON reader for when jq is missing: prints the top-level member named by JSON_KEY of the
# object in the input: a string decoded, a number or boolean as written, an array's strings one a
# line; nothing when the member is absent or null or the input is no object.
json_awk='
function ws() { while (p <= n && index(" \t\r\n", substr(s, p, 1)) > 0) p++ }
function hex4(h,   i, d, v) {
	v = 0
	for (i = 1; i <= 4; i++) {
		d = index("0123456789abcdef", tolower(substr(h, i, 1)))
		if (d == 0) return -1
		v = v * 16 + d - 1
	}
	return v
}
function utf8(c) {
	if (c <= 0) return ""
	if (c < 128) return sprintf("%c", c)
	if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
	if (c < 65536) return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
	return sprintf("%c%c%c%c", 240 + int(c / 262144), 128 + int(c / 4096) % 64, 128 + int(c / 64) % 64, 128 + c % 64)
}
function str(   o, c, e, v, w) {
	o = ""
	p++
	while (p <= n) {
		c = substr(s, p, 1)
		if (c == "\"") { p++; return o }
		if (c != "\\") { o = o c; p++; continue }
		e = substr(s, p + 1, 1)
		p += 2
		if (e == "n") o = o "\n"
		else if (e == "t") o = o "\t"
		else if (e == "r") o = o "\r"
		else if (e == "b") o = o "\b"
		else if (e == "f") o = o "\f"
		else if (e == "u") {
			v = hex4(substr(s, p, 4))
			p += 4
			if (v >= 55296 && v <= 56319 && substr(s, p, 2) == "\\u") {
				w = hex4(substr(s, p + 2, 4))
				if (w >= 56320 && w <= 57343) { v = 65536 + (v - 55296) * 1024 + w - 56320; p += 6 }
			}
			o = o utf8(v)
		}
		else o = o e
	}
	return o
}
function literal(   t) {
	t = ""
	while (p <= n && index(",:}] \t\r\n", substr(s, p, 1)) == 0) { t = t substr(s, p, 1); p++ }
	return t
}
function skip(   c, d) {
	ws()
	c = substr(s, p, 1)
	if (c == "\"") { str(); return }
	if (c != "{" && c != "[") { literal(); return }
	d = 0
	while (p <= n) {
		c = substr(s, p, 1)
		if (c == "\"") { str(); continue }
		if (c == "{" || c == "[") d++
		else if (c == "}" || c == "]") { d--; if (d == 0) { p++; return } }
		p++
	}
}
function emit(   c, t) {
	ws()
	c = substr(s, p, 1)
	if (c == "\"") { printf "%s", str(); return }
	if (c == "{") return
	if (c == "[") {
		p++
		while (p <= n) {
			ws()
			c = substr(s, p, 1)
			if (c == "]") return
			if (c == ",") p++
			else if (c == "\"") printf "%s\n", str()
			else skip()
		}
		return
	}
	t = literal()
	if (t != "null") printf "%s", t
}
{ s = s $0 "\n" }
END {
	n = length(s)
	p = 1
	if (substr(s, 1, 3) == "\357\273\277") p = 4
	ws()
	if (substr(s, p, 1) != "{") exit
	p++
	while (p <= n) {
		ws()
		if (substr(s, p, 1) != "\"") exit
		key = str()
		ws()
		if (substr(s, p, 1) != ":") exit
		p++
		if (key == ENVIRON["JSON_KEY"]) { emit(); exit }
		skip()
		ws()
		if (substr(s, p, 1) == ",") p++
	}
}'

# json_get FILE KEY: what json_awk prints, through jq when it is there.
json_get() {
	if have jq && jq -r --arg k "$2" '
		(if type == "object" then .[$k] else null end)
		| if type == "array" then (.[] | select(type == "string"))
		  elif type == "string" or type == "number" or type == "boolean" then .
		  else empty end' "$1" 2>/dev/null </dev/null; then
		return 0
	fi
	JSON_KEY=$2 LC_ALL=C awk "$json_awk" "$1" </dev/null
}

# json_str VALUE: VALUE as a JSON string, with quotes, backslashes and control characters escaped.
json_str() {
	JSON_VALUE=$1 LC_ALL=C awk 'BEGIN {
		for (i = 1; i < 32; i++) esc[sprintf("%c", i)] = sprintf("\\u%04x", i)
		esc["\n"] = "\\n"; esc["\r"] = "\\r"; esc["\t"] = "\\t"
		esc["\""] = "\\\""; esc["\\"] = "\\\\"
		v = ENVIRON["JSON_VALUE"]
		o = ""
		for (i = 1; i <= length(v); i++) { c = substr(v, i, 1); o = o ((c in esc) ? esc[c] : c) }
		printf "\"%s\"", o
	}' </dev/null
}

is_model_code() {
	case $1 in
	'' | *[!abcdefghijklmnopqrstuvwxyz0123456789_]*) return 1 ;;
	esac
	[ ${#1} -le 50 ]
}

# dir_of PATH: the directory part of PATH ("." when there is none).
dir_of() {
	case $1 in
	*/*) printf '%s\n' "${1%/*}/" ;;
	*) printf './\n' ;;
	esac
}

# first_file PATH...: the first PATH that is a regular file, or nothing.
first_file() {
	for candidate in "$@"; do
		if [ -n "$candidate" ] && [ -f "$candidate" ]; then
			printf '%s\n' "$candidate"
			return 0
		fi
	done
}

# write_auth TOKEN: a curl config file carrying the Authorization header, so the token never
# appears on a command line.
write_auth() {
	case $1 in
	'' | *[!ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-]*)
		die "$2 is not a bearer token (it is empty or has characters a token cannot have)"
		;;
	esac
	printf 'header = "Authorization: Bearer %s"\n' "$1" >"$tmp/auth.curlrc"
}

# fetch_token: exchanges IOTSUPPORT_CLIENT_ID/IOTSUPPORT_CLIENT_SECRET for an access token.
fetch_token() {
	[ -n "$token_url" ] ||
		die "IOTSUPPORT_CLIENT_ID is set but $base_url has no token URL configured: set IOTSUPPORT_TOKEN or IOTSUPPORT_TOKEN_URL"
	printf '%s' "$IOTSUPPORT_CLIENT_SECRET" >"$tmp/client_secret"
	set -- --data-urlencode grant_type=client_credentials \
		--data-urlencode "client_id=$IOTSUPPORT_CLIENT_ID" \
		--data-urlencode "client_secret@$tmp/client_secret"
	if [ -n "${IOTSUPPORT_SCOPE:-}" ]; then set -- "$@" --data-urlencode "scope=$IOTSUPPORT_SCOPE"; fi
	if [ -n "${IOTSUPPORT_AUDIENCE:-}" ]; then
		set -- "$@" --data-urlencode "audience=$IOTSUPPORT_AUDIENCE"
	fi
	: >"$tmp/token.json"
	info "requesting a token for $IOTSUPPORT_CLIENT_ID from $token_url"
	status=$(curl --silent --show-error -o "$tmp/token.json" -w '%{http_code}' "$@" "$token_url" </dev/null) ||
		die "could not reach the token URL $token_url (curl exit $?)"
	case $status in
	2??) ;;
	*)
		reason=$(json_get "$tmp/token.json" error_description)
		[ -n "$reason" ] || reason=$(json_get "$tmp/token.json" error)
		die "the token URL refused the client credentials (HTTP $status${reason:+: $reason})"
		;;
	esac
	write_auth "$(json_get "$tmp/token.json" access_token)" "the token URL's access_token"
}

# refused STATUS: reports the server's error envelope {"error","code"} and exits.
refused() {
	message=$(json_get "$tmp/response.json" error)
	code=$(json_get "$tmp/response.json" code)
	if [ -z "$message" ]; then
		message=$(LC_ALL=C awk 'NR == 1 { print substr($0, 1, 200); exit }' "$tmp/response.json")
	fi
	hint=
	case $1 in
	401) hint=" (check the token: it must come from the identity provider this server trusts)" ;;
	403) hint=" (the token needs the pipeline or admin role)" ;;
	esac
	die "the server refused the upload: HTTP $1${code:+ $code}${message:+: $message}$hint"
}

main() {
	base_url=${IOTSUPPORT_BASE_URL:-$served_base_url}
	base_url=${base_url%/}
	token_url=${IOTSUPPORT_TOKEN_URL:-$served_token_url}
	case ${1-} in
	-h | --help)
		usage
		return 0
		;;
	esac
	[ $# -le 2 ] || die "too many arguments (usage: $me [model_code] [path/to/app.bin])"
	[ -n "$base_url" ] || die "no server URL: set IOTSUPPORT_BASE_URL"
	have curl || die "curl is needed to upload"

	umask 077
	tmp=$(mktemp -d 2>/dev/null) || {
		tmp=${TMPDIR:-/tmp}/iotsupport-upload.$$
		mkdir "$tmp" || die "could not create a temporary directory"
	}
	case $tmp in /*) ;; *) tmp=$(pwd)/$tmp ;; esac
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM

	# What the build says about itself.
	desc=build/project_description.json
	if [ ! -f "$desc" ] && [ -n "${2-}" ]; then desc=$(dir_of "$2")project_description.json; fi
	[ -f "$desc" ] || desc=
	project_name= project_version= idf_version= app_bin= app_elf= build_dir= project_path= config_file=
	if [ -n "$desc" ]; then
		project_name=$(json_get "$desc" project_name)
		project_version=$(json_get "$desc" project_version)
		idf_version=$(json_get "$desc" git_revision)
		app_bin=$(json_get "$desc" app_bin)
		app_elf=$(json_get "$desc" app_elf)
		build_dir=$(json_get "$desc" build_dir)
		project_path=$(json_get "$desc" project_path)
		config_file=$(json_get "$desc" config_file)
	fi

	model=${1-}
	if [ -z "$model" ]; then
		[ -n "$desc" ] ||
			die "no build/project_description.json here: run this in the ESP-IDF project root after the build, or pass the model code and the image path"
		is_model_code "$project_name" ||
			die "the build's project_name '$project_name' is not a model code (1-50 characters of a-z, 0-9 and _): pass the model code as the first argument"
		model=$project_name
	fi
	is_model_code "$model" || die "'$model' is not a model code (1-50 characters of a-z, 0-9 and _)"

	image=${2-}
	if [ -z "$image" ]; then
		[ -n "$app_bin" ] ||
			die "the build names no app image (app_bin in $desc): pass the image path as the second argument"
		image=$(first_file ${build_dir:+"$build_dir/$app_bin"} "$(dir_of "$desc")$app_bin")
		[ -n "$image" ] || die "the build's app image $app_bin is not in $build_dir: build the project first"
	fi
	[ -f "$image" ] || die "no app image at $image"

	# The bundle's other files, whatever the build called them.
	bin_dir=$(dir_of "$image")
	stem=${image##*/}
	stem=${stem%.bin}
	root=.
	if [ -n "$project_path" ] && [ -d "$project_path" ]; then root=$project_path; fi
	elf=$(first_file "$bin_dir$stem.elf" ${app_elf:+"$bin_dir$app_elf"} ${project_name:+"$bin_dir$project_name.elf"})
	map=$(first_file "$bin_dir$stem.map" ${project_name:+"$bin_dir$project_name.map"})
	sdkconfig=$(first_file "$config_file" "$root/sdkconfig" sdkconfig)
	missing=
	[ -n "$desc" ] || missing="$missing project_description.json"
	[ -n "$elf" ] || missing="$missing $stem.elf"
	[ -n "$map" ] || missing="$missing $stem.map"
	[ -n "$sdkconfig" ] || missing="$missing sdkconfig"

	body=$image
	format=bin
	if [ -n "$missing" ]; then
		warn "not found:$missing; uploading the bare app image (core dumps of this version cannot be decoded against its ELF)"
	elif ! have zip; then
		warn "zip is not installed; uploading the bare app image (core dumps of this version cannot be decoded against its ELF)"
	else
		git_commit=
		if have git; then git_commit=$(git -C "$root" rev-parse HEAD 2>/dev/null </dev/null) || git_commit=; fi
		stage=$tmp/bundle
		mkdir "$stage"
		cp "$image" "$stage/$model.bin"
		cp "$elf" "$stage/$model.elf"
		cp "$map" "$stage/$model.map"
		cp "$sdkconfig" "$stage/sdkconfig"
		printf '{"firmware_version":%s,"idf_version":%s,"git_commit":%s}\n' \
			"$(json_str "$project_version")" "$(json_str "$idf_version")" "$(json_str "$git_commit")" \
			>"$stage/version.json"
		(cd "$stage" && zip -q -X "$tmp/bundle.zip" "$model.bin" "$model.elf" "$model.map" sdkconfig version.json) ||
			die "zip could not build the bundle"
		body=$tmp/bundle.zip
		format=zip
	fi

	if [ -n "${IOTSUPPORT_TOKEN:-}" ]; then
		write_auth "$IOTSUPPORT_TOKEN" IOTSUPPORT_TOKEN
	elif [ -n "${IOTSUPPORT_CLIENT_ID:-}" ] && [ -n "${IOTSUPPORT_CLIENT_SECRET:-}" ]; then
		fetch_token
	else
		die "no credentials: set IOTSUPPORT_TOKEN to a bearer token with the pipeline role, or IOTSUPPORT_CLIENT_ID and IOTSUPPORT_CLIENT_SECRET"
	fi

	url=$base_url/api/pipeline/models/$model/firmware
	if [ "$format" = zip ]; then content_type=application/zip; else content_type=application/octet-stream; fi
	if [ -t 2 ]; then progress=--progress-bar; else progress=--silent; fi
	: >"$tmp/response.json"
	info "uploading $image as model $model ($format) to $url"
	status=$(curl "$progress" --show-error --config "$tmp/auth.curlrc" \
		-H "Content-Type: $content_type" -H 'Expect:' --data-binary "@$body" \
		-o "$tmp/response.json" -w '%{http_code}' "$url" </dev/null) ||
		die "could not reach $url (curl exit $?)"
	case $status in
	2??) ;;
	*) refused "$status" ;;
	esac

	version=$(json_get "$tmp/response.json" firmware_version)
	[ -n "$version" ] || die "the server answered HTTP $status without a firmware version"
	json_get "$tmp/response.json" warnings | while IFS= read -r line; do warn "server: $line"; done
	printf 'Stored firmware version %s for model %s (%s, %s bytes, sha256 %s)\n' "$version" "$model" \
		"$(json_get "$tmp/response.json" format)" "$(json_get "$tmp/response.json" size)" \
		"$(json_get "$tmp/response.json" sha256)"
	if [ "$(json_get "$tmp/response.json" unchanged)" = true ]; then
		printf 'Unchanged: this image was already stored as version %s.\n' "$version"
	fi
	if [ "$(json_get "$tmp/response.json" replaced)" = true ]; then
		printf 'Replaced: version %s had been uploaded before with other bytes.\n' "$version"
	fi
}

main "$@"

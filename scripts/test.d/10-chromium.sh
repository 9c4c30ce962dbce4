# Sourced by scripts/test before the tests (see README here): makes sure Debian `chromium`,
# `chromium-driver` and a CJK font (so the pages' screenshots show Chinese, not boxes) are
# installed for the headless browser tests (tests/browser/). Quick when they are: no apt call.
# `GGZY_SKIP_BROWSER=1` skips both this and the browser tests.
if [ "${GGZY_SKIP_BROWSER:-}" = "1" ]; then
	printf '==> GGZY_SKIP_BROWSER=1: not installing chromium; the browser tests will be skipped\n' >&2
else
	ggzy_browser_missing=()
	command -v chromium >/dev/null 2>&1 || ggzy_browser_missing+=(chromium)
	command -v chromedriver >/dev/null 2>&1 || ggzy_browser_missing+=(chromium-driver)
	[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || ggzy_browser_missing+=(fonts-wqy-microhei)
	if [ "${#ggzy_browser_missing[@]}" -gt 0 ]; then
		printf '==> installing %s for the browser tests\n' "${ggzy_browser_missing[*]}" >&2
		ggzy_sudo=()
		[ "$(id -u)" -eq 0 ] || ggzy_sudo=(sudo)
		export DEBIAN_FRONTEND=noninteractive
		# `apt-get update` only when the package lists do not know the packages yet
		if ! apt-cache show "${ggzy_browser_missing[@]}" >/dev/null 2>&1; then
			"${ggzy_sudo[@]}" apt-get update -qq
		fi
		"${ggzy_sudo[@]}" apt-get install -y -qq --no-install-recommends "${ggzy_browser_missing[@]}" >/dev/null
	fi
	unset ggzy_browser_missing ggzy_sudo
fi

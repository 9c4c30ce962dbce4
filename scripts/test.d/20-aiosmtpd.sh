# shellcheck shell=bash
# Makes Python's aiosmtpd (a real SMTP server) available to the mail tests (tests/api/mail.rs),
# in a virtualenv under target/ (installed once, kept between runs), and exports its python.
GGZY_AIOSMTPD_VERSION=1.4.6
ggzy_pyenv=target/pyenv
if ! "$ggzy_pyenv/bin/python" -c "import aiosmtpd, sys; sys.exit(aiosmtpd.__version__ != '$GGZY_AIOSMTPD_VERSION')" 2>/dev/null; then
	printf '==> installing aiosmtpd %s into %s\n' "$GGZY_AIOSMTPD_VERSION" "$ggzy_pyenv" >&2
	python3 -m venv "$ggzy_pyenv"
	"$ggzy_pyenv/bin/pip" install --quiet "aiosmtpd==$GGZY_AIOSMTPD_VERSION"
fi
GGZY_TEST_PYTHON=$(pwd -P)/$ggzy_pyenv/bin/python
export GGZY_TEST_PYTHON
unset ggzy_pyenv

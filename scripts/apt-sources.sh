# shellcheck shell=bash
# What scripts/install-check.sh and scripts/fresh-check.sh share: this
# machine's apt sources as mmdebstrap takes them.
# usage: . "$(dirname "$0")/apt-sources.sh"   (bash)

# apt_sources SUITE_REGEX: one "deb URI SUITE main" line for each source
# whose suite matches SUITE_REGEX (an awk regular expression; anchor it),
# from the index targets apt lists for its Packages files, one-line and
# deb822 sources alike.  Prints nothing when none matches.
apt_sources() {
	# shellcheck disable=SC2016 # $(FIELD) is apt's format, not the shell's
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
		'Created-By: Packages' 2>/dev/null | sort -u |
		awk -v suite="$1" '$2 ~ suite { printf "deb %s %s main\n", $1, $2 }'
}

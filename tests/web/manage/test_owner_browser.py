"""An owner, a moderator and a member in Chromium (Playwright) against `listhaven run` (web, LMTP and a
worker) with its outbox. Each signs in with the link mailed to them. The owner changes the subject tag
and footer (the next post's copy shows both), approves a held post (its copy reaches the outbox), bans an
address (its next post is neither held nor sent), mass-subscribes 1,000 addresses and finds one of them;
the moderator decides held posts but is kept out of the settings; a member is kept out of /manage/."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import running_site
from tests.web.test_members_browser import Site, body

pytestmark = pytest.mark.browser

LIST = "garden@lists.example.org"
OWNER, MODERATOR, MEMBER = "olive@example.org", "mo@example.org", "ann@example.org"
SIGN_IN_MAIL: set[str] = set()  # the sign-in mails already used (each link works once)
# Each address signs in by mail once; later tests reuse its session (the site mails at most 10 links
# an hour to one client, and this module's tests sign in more often than that).
SESSIONS: dict[str, dict] = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("owners-site")
    setup = [["list", "create", LIST], ["members", "add", "garden", OWNER, "--role", "owner"],
             ["members", "add", "garden", MODERATOR, "--role", "moderator"], ["members", "add", "garden", MEMBER]]  # fmt: skip
    with running_site(data, setup) as (url, lmtp):
        yield Site(url, lmtp, data)


def signed_in(site: Site, browser, address: str):
    """A new browser context signed in as `address` through the link mailed to it (the first time;
    then with the session that link opened), on the page signing in leads to."""
    if address in SESSIONS:
        context = browser.new_context(base_url=site.url, storage_state=SESSIONS[address])
        page = context.new_page()
        page.goto("/accounts/login/")  # signed in: sent on to where signing in leads
        return context, page
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/accounts/link/")
    page.fill("input[name=email]", address)
    page.click("button:has-text('Mail me a link')")
    link = re.search(r"https?://\S+/accounts/link/\S+/", body(site.mail_to(address, "^Sign in to", SIGN_IN_MAIL)))
    assert link, "no sign-in link in the mail"
    page.goto(link.group(0))
    page.click("button:has-text('Sign in')")
    SESSIONS[address] = context.storage_state()
    return context, page


def post(site: Site, sender: str, subject: str) -> None:
    raw = (f"From: <{sender}>\r\nTo: {LIST}\r\nSubject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@example>\r\n"
           f"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\nHello, garden.\r\n").encode()  # fmt: skip
    assert site.lmtp(sender, LIST, raw) == 250


def status(page) -> str:
    return page.locator("[role=status]").inner_text()


def test_owner_runs_the_list_from_the_browser(site, browser):
    context, page = signed_in(site, browser, OWNER)
    assert page.url.endswith("/manage/")
    # Named apart from "Your lists", the footer's link to the lists their own address is on.
    assert page.locator("h1").inner_text() == "Lists you run"
    page.locator("main").get_by_role("link", name="Your lists").click()
    page.wait_for_url("**/accounts/")
    assert page.locator("h1").inner_text() == "Your lists"
    page.go_back()
    page.wait_for_url("**/manage/")
    page.click("a:has-text('Garden')")
    page.click("nav.manage-nav a:has-text('Settings')")
    page.fill("#id_footer", "Tended by the %(real_name)s club.")  # pasted from the list's Mailman 2 footer
    page.click("button:has-text('Save the settings')")
    assert "write {list_name}" in page.locator("#id_footer_error").inner_text()
    page.fill("#id_subject_tag", "[Green]")
    page.fill("#id_footer", "Tended by the garden club.")
    page.click("button:has-text('Save the settings')")
    assert "Settings saved" in status(page)
    assert page.input_value("#id_subject_tag") == "[Green]"

    post(site, MEMBER, "Tomatoes")
    copy = site.mail_to(MEMBER, r"^\[Green\] Tomatoes$")
    assert "Tended by the garden club." in body(copy)

    post(site, "visitor@example.net", "Question from outside")  # a non-member: held
    page.goto("/manage/garden/held/")
    assert page.locator("nav.manage-nav .tabs a[href$='/held/']").count() == 1
    page.click("a:has-text('Question from outside')")
    assert "not a member" in page.locator(".reason").inner_text()
    page.check("input[name=action][value=accept]")
    page.click("button:has-text('Decide')")
    assert "Approve" in status(page)
    assert "No post waits" in page.locator("main").inner_text()
    site.mail_to(MEMBER, r"^\[Green\] Question from outside$")

    page.click("nav.manage-nav a:has-text('Bans')")
    page.fill("#pattern", "spammer@example.net")
    page.fill("#ban-reason", "sells things")
    page.click("button:has-text('Ban')")
    assert "Banned" in status(page)
    assert "spammer@example.net" in page.locator("table").inner_text()
    post(site, "spammer@example.net", "Buy now")  # without the ban: held like the visitor's
    page.goto("/manage/garden/held/")
    assert "Buy now" not in page.locator("main").inner_text()

    page.click("nav.manage-nav a:has-text('Members')")
    addresses = "\n".join(f"Gardener {n} <gardener{n:04d}@example.com>" for n in range(1000))
    page.fill("#add-addresses", addresses)
    page.click("button:has-text('Add')")
    assert "1000 added, 0 already there, 0 not valid" in status(page)
    page.fill("#mq", "gardener0421@")
    page.click("button:has-text('Find')")
    rows = page.locator("table.members tbody tr")
    assert rows.count() == 1
    assert "gardener0421@example.com" in rows.inner_text() and "Gardener 421" in rows.inner_text()
    page.fill("#mq", "")
    page.click("button:has-text('Find')")
    assert "1003 found" in page.locator("h1").inner_text()  # the thousand, the member, moderator and owner
    page.fill("#rm-addresses", "gardener0421@example.com")
    page.get_by_label("Send each removed member the goodbye message").check()
    page.click("button:has-text('Remove')")
    assert "1 removed, 0 were not members" in status(page)
    site.mail_to("gardener0421@example.com", "^You have left")
    context.close()


def test_settings_are_read_with_their_help_and_errors(site, browser):
    """A screen reader reads each setting with its help text, and after a refused save with the
    reason (the accessible description Chromium computes from aria-describedby)."""
    from playwright.sync_api import expect

    context, page = signed_in(site, browser, OWNER)
    page.goto("/manage/garden/settings/")
    expect(page.get_by_label("Subject tag")).to_have_accessible_description(re.compile("put in front of each post's subject"))
    page.fill("#id_header_filters", "([unclosed")
    page.click("button:has-text('Save the settings')")
    filters = page.get_by_label("Header filters")
    expect(filters).to_have_accessible_description(re.compile("one regex a line .* not a valid regular expression"))
    expect(filters).to_have_attribute("aria-invalid", "true")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_owners_pages_are_readable_in_light_and_dark(site, browser, scheme):
    """The settings page showing an error and the members page with its red buttons keep WCAG AA
    contrast in both colour schemes (red on the dark page and the dark text on red were under it)."""
    from tests.web.conftest import low_contrast

    context, page = signed_in(site, browser, OWNER)
    page.emulate_media(color_scheme=scheme)
    page.goto("/manage/garden/settings/")
    page.fill("#id_header_filters", "([unclosed")
    page.click("button:has-text('Save the settings')")
    assert page.locator(".field .error").count() == 1
    assert low_contrast(page) == []
    page.goto("/manage/garden/members/")
    page.locator("table.members a").first.click()
    assert page.locator("button.danger").count() >= 1
    assert low_contrast(page) == []
    context.close()


def _sign_ups_need_approval(page) -> None:
    """The owner sets garden's subscribe policy to "moderate" on the settings page."""
    page.goto("/manage/garden/settings/")
    page.select_option("#id_subscribe_policy", "moderate")
    page.click("button:has-text('Save the settings')")
    assert "Settings saved" in status(page)


def test_owner_approves_a_subscription_request(site, browser):
    context, page = signed_in(site, browser, OWNER)
    _sign_ups_need_approval(page)
    joiner, join = "newcomer@example.net", "garden-join@lists.example.org"
    raw = f"From: New Comer <{joiner}>\r\nTo: {join}\r\nSubject: join\r\nMessage-ID: <join.newcomer@example>\r\n\r\n".encode()
    assert site.lmtp(joiner, join, raw) == 250
    asked = site.mail_to(OWNER, r"^confirm [0-9a-f]+$")
    assert f"{joiner} asks to join" in body(asked)
    page.goto("/manage/garden/members/")
    page.click("a:has-text('1 request to join or leave')")
    row = page.locator("table.requests tbody tr")
    assert row.count() == 1 and joiner in row.inner_text()
    page.click("button:has-text('Approve')")
    assert f"{joiner}: subscribed." in status(page)
    site.mail_to(joiner, "^Welcome to")
    context.close()


def test_a_moderator_decides_posts_but_not_the_settings(site, browser):
    post(site, "stranger@example.net", "Held for the moderator")
    context, page = signed_in(site, browser, MODERATOR)
    page.goto("/manage/garden/")
    assert "held" in page.locator("header").inner_text()  # the count beside the list's name
    tabs = page.locator("nav.manage-nav .tabs").inner_text()
    assert "Held posts" in tabs and "Settings" not in tabs and "Members" not in tabs
    assert page.goto("/manage/garden/settings/").status == 403
    assert page.goto("/manage/garden/members/").status == 403
    page.goto("/manage/garden/held/")
    page.click("a:has-text('Held for the moderator')")
    assert "To: garden@lists.example.org" in page.locator(".msg-head").inner_text()
    fields = page.locator("details.header-fields")
    assert not fields.locator("table").is_visible()  # folded, as Postorius's "show headers"
    fields.locator("summary").click()
    assert "Message-ID" in fields.locator("table").inner_text() and fields.locator("table").is_visible()
    page.check("input[name=action][value=discard]")
    page.click("button:has-text('Decide')")
    assert "Discard" in status(page)
    context.close()


def test_a_member_is_kept_out_of_manage(site, browser):
    context, page = signed_in(site, browser, MEMBER)
    assert page.url.endswith("/accounts/")  # their own lists, not a refusal
    assert page.locator("h1").inner_text() == "Your lists"
    page.click("table a:has-text('Options or leave')")
    assert page.url.endswith("/garden/options/") and MEMBER in page.locator("main").inner_text()
    assert page.goto("/manage/").status == 403
    assert "you own or moderate none here" in page.locator("main").inner_text()  # the site's page, saying why
    page.click("a:has-text('Your lists and options')")
    assert page.url.endswith("/accounts/")
    assert page.goto("/manage/garden/held/").status == 403
    assert page.goto("/manage/garden/settings/").status == 403
    context.close()


def test_a_form_sent_without_its_cookie_is_answered_in_words(site, browser):
    """A subscribe form left open while the browser lost the site's cookie: a page saying nothing
    changed, with the way back to the form, instead of Django's bare CSRF report."""
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/listinfo/garden")
    context.clear_cookies()
    page.fill("#sub-address", "late@example.net")
    page.click("button:has-text('Subscribe')")
    assert page.locator("h1").inner_text() == "The form was not accepted"
    assert "Nothing was changed" in page.locator("main").inner_text()
    page.click("a:has-text('Open the page again')")
    assert page.url.endswith("/listinfo/garden") and page.locator("#sub-address").count() == 1
    context.close()


def test_a_moderator_makes_an_api_token_and_decides_a_post_with_it(site, browser):
    import json
    import urllib.error
    import urllib.request

    post(site, "stranger@example.net", "Held for the API")
    context, page = signed_in(site, browser, MODERATOR)
    page.goto("/manage/")
    page.click("a:has-text('Your API token')")
    page.click("button:has-text('Make a token')")
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("lh_")

    def call(method: str, path: str, body: dict | None = None, bearer: str | None = token):
        request = urllib.request.Request(site.url + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None)  # fmt: skip
        request.add_header("Content-Type", "application/json")
        if bearer:
            request.add_header("Authorization", f"Bearer {bearer}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    code, held = call("GET", "/api/manage/lists/garden/held")
    assert code == 200
    mine = [h for h in held["items"] if h["subject"] == "Held for the API"]
    assert len(mine) == 1
    assert call("GET", "/api/manage/lists/garden/settings")[0] == 403  # a moderator, not an owner
    code, decided = call("POST", f"/api/manage/lists/garden/held/{mine[0]['id']}", {"action": "discard"})
    assert (code, decided["decision"]) == (200, "discard")
    page.goto("/accounts/api-token/")
    assert token not in page.content() and "Last used" in page.content()
    page.click("button:has-text('Revoke the token')")
    assert "revoked" in status(page)
    assert call("GET", "/api/manage/lists/garden/held")[0] == 401
    context.close()


def test_an_owner_is_told_why_a_moderators_address_is_not_erased(site, browser):
    context, page = signed_in(site, browser, OWNER)
    page.goto("/manage/garden/")
    page.click("a[href='/manage/garden/erase/']")
    page.fill("#erase-address", MODERATOR)
    page.fill("#erase-again", MODERATOR)
    page.check("input[name=posts][value=anonymise]")
    page.click("button:has-text('Erase')")
    alert = page.locator("[role=alert]").inner_text()
    assert f"{MODERATOR} is an owner or moderator of this list" in alert and "site administrator" in alert
    assert "None yet." in page.locator("table.grid").inner_text()  # no erasure recorded
    page.goto("/manage/garden/members/?role=moderator")
    assert MODERATOR in page.locator("table").inner_text()  # still on the roster
    context.close()


def test_owner_discards_a_spam_sign_up_without_a_word_to_it(site, browser):
    context, page = signed_in(site, browser, OWNER)
    _sign_ups_need_approval(page)
    join = "garden-join@lists.example.org"
    for joiner in ("bot@spam.example", "cousin@example.net"):
        raw = f"From: <{joiner}>\r\nTo: {join}\r\nSubject: join\r\nMessage-ID: <join.{joiner}>\r\n\r\n".encode()
        assert site.lmtp(joiner, join, raw) == 250
        _owners_asked(site, joiner)
    page.goto("/manage/garden/requests/")
    page.locator("table.requests tr", has_text="bot@spam.example").locator("button:has-text('Discard')").click()
    assert "bot@spam.example: discarded (not told)." in status(page)
    page.locator("table.requests tr", has_text="cousin@example.net").locator("button:has-text('Refuse')").click()
    assert "cousin@example.net: refused." in status(page)
    recent = page.locator("table.request-decisions tbody tr")
    assert recent.filter(has_text="cousin@example.net").count() == 1
    assert "discarded, the address not told" in recent.filter(has_text="bot@spam.example").inner_text()
    assert OWNER in recent.filter(has_text="bot@spam.example").inner_text()
    site.mail_to("cousin@example.net", "refused")  # queued after the discard: the worker is past it
    assert site.sent_to("bot@spam.example", "refused|Welcome") == []
    context.close()


def _owners_asked(site: Site, joiner: str) -> None:
    """Waits for the approval notice about `joiner` (the -join mail is processed by the worker)."""
    seen: set[str] = set()
    while f"{joiner} asks to join" not in body(site.mail_to(OWNER, r"^confirm [0-9a-f]+$", seen)):
        pass


def test_a_moderator_discards_a_page_of_spam_at_once(site, browser):
    """The box in the queue's heading selects every post of the page (as Postorius's "select all");
    applying an action with nothing selected says so instead of "0 post(s)"."""
    for n in range(3):
        post(site, f"seller{n}@spam.example", f"Cheap watches {n}")
    context, page = signed_in(site, browser, MODERATOR)
    page.goto("/manage/garden/held/")
    page.select_option("#bulk-action", "discard")
    page.click("button:has-text('Apply')")
    assert "Select the posts first" in status(page)
    rows = page.locator("table.grid tbody tr").count()
    assert rows >= 3
    every = page.get_by_label("Select every post on this page")
    every.check()
    assert page.locator("tbody input[name=held]:checked").count() == rows
    page.get_by_label("Select “Cheap watches 0” from seller0@spam.example").uncheck()
    assert not every.is_checked()  # no longer every post
    every.check()
    page.select_option("#bulk-action", "discard")
    page.click("button:has-text('Apply')")
    assert f"Discard: {rows} post(s)." in status(page)
    assert "No post waits" in page.locator("main").inner_text()
    context.close()


def test_owner_names_a_member_and_sets_a_non_members_action(site, browser):
    """Coming from Postorius or Mailman 2: the owner corrects a member's name on the member's page (the
    roster and the change history then show it), adds a non-member and reads on the roster what becomes
    of their posts, the list's default, then "always discard" once set on their page."""
    context, page = signed_in(site, browser, OWNER)
    page.goto("/manage/garden/members/")
    page.fill("#mq", MEMBER)
    page.click("button:has-text('Find')")
    page.click(f"table.members a:has-text('{MEMBER}')")
    page.get_by_label("Name", exact=True).fill("Ann Example")
    page.click("button:has-text('Save')")
    assert f"{MEMBER} saved" in status(page)
    assert page.get_by_label("Name", exact=True).input_value() == "Ann Example"
    page.goto(f"/manage/garden/members/?q={MEMBER}")
    assert "Ann Example" in page.locator("table.members tbody tr").inner_text()
    page.goto("/manage/garden/history/")
    assert f"Ann Example <{MEMBER}>" in page.locator("table").inner_text()

    page.goto("/manage/garden/members/")
    page.fill("#add-addresses", "pest@example.net")
    page.select_option("#add-role", "nonmember")
    page.click("button:has-text('Add')")
    assert "1 added" in status(page)
    page.fill("#mq", "pest@")
    page.click("button:has-text('Find')")
    row = page.locator("table.members tbody tr")
    assert row.count() == 1 and "list's default (hold)" in row.inner_text() and "no delivery" in row.inner_text()
    row.locator("a").click()
    page.get_by_label("Their posts").select_option("discard")
    page.click("button:has-text('Save')")
    page.goto("/manage/garden/members/?role=nonmember")
    assert "always discard" in page.locator("table.members tbody tr:has-text('pest@example.net')").inner_text()
    context.close()


def test_an_owner_is_told_which_invitation_names_are_refused_and_why(site, browser):
    """A name pasted with a tab in it, or longer than a member may give, invites nobody; the page
    says which line and why, and the other lines are invited."""
    context, page = signed_in(site, browser, OWNER)
    page.goto("/manage/garden/members/")
    page.fill("#invite-addresses", f'"Tess\tGrower" <tess@example.com>\n{"L" * 201} <lee@example.com>\nUma <uma@example.com>')
    page.click("button:has-text('Invite')")
    said = status(page)
    assert "1 invited, 0 already members, 0 banned, 2 not valid." in said
    assert "a name may not hold control characters or line breaks" in said
    assert "a name has at most 200 characters (this one has 201)" in said
    assert "invite uma@example.com to join" in body(site.mail_to("uma@example.com", "^confirm "))
    context.close()


def test_an_approved_post_content_filtering_empties_is_said_not_sent(site, browser):
    """The owner filters every text part and keeps what that empties (preserve): approving a held
    plain-text post says, in the danger colour, that it was not sent and was kept in the quarantine;
    no member gets it. Filtering is turned off again for the tests after this one."""
    context, page = signed_in(site, browser, OWNER)
    page.goto("/manage/garden/settings/")
    page.check("#id_filter_content")
    page.fill("#id_filter_types", "text")
    page.select_option("#id_filter_action", "preserve")
    page.click("button:has-text('Save the settings')")
    assert "Settings saved" in status(page)
    try:
        post(site, "wanderer@example.net", "Words only")  # a non-member: held
        page.goto("/manage/garden/held/")
        page.click("a:has-text('Words only')")
        page.check("input[name=action][value=accept]")
        page.click("button:has-text('Decide')")
        note = page.locator("[role=status] li.warning")
        assert "not sent: kept in the quarantine" in note.inner_text()
        assert "text/plain" in note.inner_text()
        danger = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--danger').trim()")
        assert danger and note.evaluate("e => getComputedStyle(e).color") != page.locator("main").evaluate(
            "e => getComputedStyle(e).color")  # fmt: skip
    finally:
        page.goto("/manage/garden/settings/")
        page.uncheck("#id_filter_content")
        page.click("button:has-text('Save the settings')")
        context.close()
    assert not site.sent_to(MEMBER, r"Words only")


def test_the_footer_shows_a_signed_in_reader_who_they_are_and_how_to_sign_out(site, browser):
    """Signed out, every page's footer offers "Sign in"; signed in, it names the address, links to
    their lists and signs them out (and then offers "Sign in" again)."""
    stranger = browser.new_context(base_url=site.url)
    page = stranger.new_page()
    page.goto("/")
    footer = page.locator("footer.site")
    assert footer.get_by_role("link", name="Sign in").count() == 1 and "Signed in as" not in footer.inner_text()
    stranger.close()

    context, page = signed_in(site, browser, MEMBER)
    page.goto("/garden/")
    footer = page.locator("footer.site")
    assert f"Signed in as {MEMBER}" in footer.inner_text()
    assert footer.get_by_role("link", name="Sign in").count() == 0
    footer.get_by_role("link", name="Your lists").click()
    assert page.url.endswith("/accounts/") and "garden" in page.locator("main").inner_text().lower()
    page.locator("footer.site").get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()  # a link asks; the button signs out
    SESSIONS.pop(MEMBER)  # that session has ended
    page.wait_for_url(f"{site.url}/")
    footer = page.locator("footer.site")
    assert footer.get_by_role("link", name="Sign in").count() == 1 and "Signed in as" not in footer.inner_text()
    page.goto("/accounts/")
    assert "/accounts/login/" in page.url  # signed out indeed
    context.close()

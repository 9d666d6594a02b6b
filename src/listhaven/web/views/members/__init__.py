"""Pages a member (or a would-be member) uses: the list's information page with its subscribe form,
confirmation links, the options page and the one-click unsubscribe link."""

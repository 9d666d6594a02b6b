"""Moving a list from another list server: Mailman 2.1 (config.pck + the archive mbox) and Mailman 3
(its REST API or the JSON saved from it, + HyperKitty's mbox export). See docs/migration.md."""

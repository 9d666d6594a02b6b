"""Code only the tests use: generators of test data (hostile messages, golden inputs) and golden-file checks.

Nothing here ships in the wheel; the product's own demo data lives in `listhaven.demo`.
"""

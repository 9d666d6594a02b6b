"""Demo data the product ships (`listhaven demo-data`, `listhaven demo-import`): generated lists and archives."""

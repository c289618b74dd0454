"""Letters: contexts built from the ledger, rendered into Word (docxtpl, sandboxed), turned into PDF, logged."""

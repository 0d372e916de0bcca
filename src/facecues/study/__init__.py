"""The study: its config read, defaulted, validated and checked once."""

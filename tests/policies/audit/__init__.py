"""Tests of the policy pack (tests mirror policies/)."""

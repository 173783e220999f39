"""Failure analysis over a loaded frame: each function takes the frame and returns a new one."""

from .summary import error_rates, summary

__all__ = ["error_rates", "summary"]

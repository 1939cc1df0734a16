"""Utilities shared by the estimators: devices, seeding, tensors and discovery."""

from sklearn_deep.utils.discovery import all_estimators

__all__ = ["all_estimators"]

"""Wholesale price lists, volume tiers, quantity rules, assignments, the price engine, CSV
import/export and sync to Shopify catalogs.
"""

"""The admin API's routes, one powertools Router per concept, included by functions/admin."""

"""A realistic week of a small Hadoop cluster, for trying the portal: `manage.py seed_demo`."""

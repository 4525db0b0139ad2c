"""Private link: reads of private endpoints, private DNS zones and replications (``reads``)."""

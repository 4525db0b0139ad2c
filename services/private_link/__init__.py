"""Private endpoints, private DNS zones and their links: reads and writes."""

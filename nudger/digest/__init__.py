"""One day's digest: gathered values, composed text and HTML, the template environment,
and the forked child that renders the user's own templates."""

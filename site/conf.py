# Sphinx settings for the course's website: `make site` stages the chapters (the solved edition,
# with its stored outputs) beside these pages and builds them; nothing is executed, nothing fetched.
project = "kafka-codealong"
author = "the kafka-codealong authors"
copyright = "the kafka-codealong authors, Apache-2.0"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
html_title = "Learn Apache Kafka from zero"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,      # each chapter's .ipynb, to run it yourself
    "use_fullscreen_button": False,
}
nb_execution_mode = "off"             # the stored outputs are the real ones, from CI's run
nb_ipywidgets_js = {}                 # no widget scripts from a CDN: the site works offline
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3              # "#2-start-the-consumer" links within a chapter
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]
html_show_sourcelink = False
html_context = {"default_mode": "light"}  # a first visit has no stored mode: say which, rather than log an error
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"  # without one, every browser asks for /favicon.ico and logs a 404

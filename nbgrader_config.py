# nbgrader configuration for an evalround course. Stock nbgrader commands and the
# formgrader work on this folder; `evalround grade` autogrades with per-candidate keys.
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = 'evalround'
# The course is this folder, from wherever nbgrader runs (a grader's server on a hub
# starts in their home folder and finds this file on JUPYTER_CONFIG_PATH).
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# evalround does not use nbgrader's exchange; keep it inside the course so that stock
# commands and the formgrader do not complain about /usr/local/share/nbgrader.
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".evalround",
                               "exchange")
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.Execute.timeout = 60
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".evalround*"]

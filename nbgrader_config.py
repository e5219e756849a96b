# nbgrader configuration for an evalround course. Stock nbgrader commands and the
# formgrader work on this folder; `evalround grade` autogrades with per-candidate keys.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = 'evalround'
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.Execute.timeout = 60
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".evalround*"]

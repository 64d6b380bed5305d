"""The applications on top of the library: the ``hdnet`` command (:mod:`~hdnet.apps.cli`), the
demos (:mod:`~hdnet.apps.demo`, :mod:`~hdnet.apps.demo_real`) and pictures
(:mod:`~hdnet.apps.draw`). Nothing in the library imports from here."""

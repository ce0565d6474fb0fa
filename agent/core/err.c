/* err.c - placeholder, being written */

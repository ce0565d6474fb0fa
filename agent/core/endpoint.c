/* endpoint.c - placeholder, being written */

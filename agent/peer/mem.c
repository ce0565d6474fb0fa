/* mem.c - placeholder */

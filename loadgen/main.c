/*
 * rbload: one run (lg_drive), or `rbload merge` (lg_merge_main).
 */
#include "drive.h"
#include "merge.h"

#include "rb_log.h"

#include <string.h>

int main(int argc, char **argv)
{
	rb_log_set_program("rbload");
	if (argc > 1 && !strcmp(argv[1], "merge"))
		return lg_merge_main(argc - 1, argv + 1);
	return lg_drive(argc, argv, NULL);
}

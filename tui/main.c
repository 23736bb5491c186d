/* ipcscope: a terminal lab for inter-process communication. See cmdline.h. */
#include "cmdline.h"

int main(int argc, char **argv)
{
    return tui_cmdline_main(argc, argv);
}

/* ipcscope: a terminal lab for inter-process communication. See app.h. */
#include "app.h"

int main(int argc, char **argv)
{
    return tui_app_main(argc, argv);
}

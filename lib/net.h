/* net: the three socket modules at once, for code written before they were
 * split: addr.h (addresses, private directories), unixsock.h (socket files,
 * peer credentials) and conn.h (framed connections). New code includes the
 * one it uses. */
#ifndef SCOPE_NET_H
#define SCOPE_NET_H

#include "addr.h"
#include "conn.h"
#include "unixsock.h"

#endif

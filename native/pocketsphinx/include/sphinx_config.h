/* sphinxbase's public configuration header (normally generated): the same settings as config.h. */
#include "config.h"

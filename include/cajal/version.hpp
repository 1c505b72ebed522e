#pragma once
/// Cajal's version, from CMakeLists.txt's project(VERSION).
#ifndef CAJAL_VERSION
#define CAJAL_VERSION "0.1.0"
#endif

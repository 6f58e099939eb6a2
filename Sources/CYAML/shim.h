/*
 * CYAML: libyaml's parser, for kubeconfig files. Only
 * Sources/KubernetesClient/Internal includes this module.
 */
#ifndef CTWATCH_YAML_SHIM_H
#define CTWATCH_YAML_SHIM_H

#include <yaml.h>

#endif

/// KubernetesClient reads the cluster's pods, Services, EndpointSlices and
/// node from the Kubernetes API, for naming what conntrack shows.
public enum KubernetesClient {}

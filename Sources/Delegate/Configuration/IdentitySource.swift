import AWSCredentials

/// A source of the delegate's own identity (`[identity] sources`): the credential layer's own
/// enumeration, so that a new source is one case in one place.
public typealias IdentitySource = IdentityProvider.Source
